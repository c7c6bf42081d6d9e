using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace OdooAspire.Gateway.Security;

/// <summary>
/// The outermost step of the gateway's own pipeline: whatever goes wrong, the client gets a status and one plain line,
/// never an exception, a source path or its own headers back, in every environment (ASP.NET Core's developer page shows
/// all three in Development, which is how the AppHost runs projects). The details go to the log.
/// </summary>
public sealed partial class PlainErrors(ILogger<PlainErrors> logger)
{
    public async Task InvokeAsync(HttpContext context, Func<Task> next)
    {
        try
        {
            await next();
        }
        catch (Exception) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client is gone: nobody to answer.
        }
        catch (BadHttpRequestException ex)
        {
            await AnswerAsync(context, ex.StatusCode, "Bad request.");
        }
        catch (Exception ex)
        {
            LogFailed(logger, context.Request.Method, context.Request.Path, ex);
            await AnswerAsync(context, StatusCodes.Status500InternalServerError, "The gateway could not handle this request.");
        }
    }

    private static Task AnswerAsync(HttpContext context, int status, string message)
    {
        if (context.Response.HasStarted)
        {
            context.Abort();
            return Task.CompletedTask;
        }

        context.Response.Clear();
        return Refuse.WriteAsync(context, status, message);
    }

    [LoggerMessage(LogLevel.Error, "{Method} {Path} failed in the gateway")]
    private static partial void LogFailed(ILogger logger, string method, string path, Exception exception);
}
