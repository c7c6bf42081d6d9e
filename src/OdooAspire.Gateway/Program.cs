var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddOdooGateway();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapOdooGateway();
app.Run();
