using System.Text.Json.Nodes;
using OdooAspire.OdooStandIn.JsonRpc;

namespace OdooAspire.OdooStandIn.Controllers;

/// <summary>/web/dataset/call_kw (addons/web/controllers/dataset.py) for the one model the stand-in has.</summary>
public static class DatasetRoutes
{
    public static void MapDatasetRoutes(this IEndpointRouteBuilder routes)
    {
        JsonRpcRoutes.Handler callKw = async (request, call) =>
        {
            var model = call.String("model") ?? throw new OdooException("builtins.TypeError", "call_kw() missing required argument: 'model'");
            var method = call.String("method") ?? throw new OdooException("builtins.TypeError", "call_kw() missing required argument: 'method'");
            var args = call.Params["args"] as JsonArray ?? [];
            var kwargs = call.Params["kwargs"] as JsonObject ?? [];

            // odoo.service.model.check_method_name
            if (method.StartsWith('_'))
            {
                throw OdooException.AccessError($"Private methods (such as '{model}.{method}') cannot be called remotely.");
            }

            if (model != Partners.Model)
            {
                throw new OdooException("builtins.KeyError", $"'{model}'");
            }

            var partners = request.Http.RequestServices.GetRequiredService<Partners>();
            return await partners.CallAsync(method, args, kwargs, request.Http.RequestAborted);
        };

        routes.MapJsonRpc("/web/dataset/call_kw", RouteAuth.User, callKw);
        routes.MapJsonRpc("/web/dataset/call_kw/{**path}", RouteAuth.User, callKw);
    }
}
