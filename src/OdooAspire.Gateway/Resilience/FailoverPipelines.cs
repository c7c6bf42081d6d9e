using Microsoft.Extensions.Options;
using Polly;
using Polly.Hedging;

namespace OdooAspire.Gateway.Resilience;

/// <summary>
/// The two Polly hedging pipelines every forwarded request runs through. Safe requests are hedged: still unanswered
/// after <c>HedgingDelay</c>, they also go to another node and the first answer wins. Writes run in fallback mode:
/// another node only after a failure, and only when the failed node never received the request.
/// </summary>
public sealed class FailoverPipelines
{
    private static readonly ResiliencePropertyKey<FailoverCall> CallKey = new("OdooAspire.FailoverCall");

    public FailoverPipelines(IOptions<GatewayOptions> options)
    {
        var retry = options.Value.Retry;
        Hedged = Build(retry.MaxAttempts, retry.HedgingDelay);
        Fallback = Build(retry.MaxAttempts, Timeout.InfiniteTimeSpan);
    }

    /// <summary>For requests that may be replayed after reaching a node.</summary>
    public ResiliencePipeline<HttpResponseMessage> Hedged { get; }

    /// <summary>For writes and for bodies too large to buffer.</summary>
    public ResiliencePipeline<HttpResponseMessage> Fallback { get; }

    internal static async Task<Outcome<HttpResponseMessage>> RunAsync(ResiliencePipeline<HttpResponseMessage> pipeline, FailoverCall call, CancellationToken cancellationToken)
    {
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        try
        {
            context.Properties.Set(CallKey, call);
            return await pipeline.ExecuteOutcomeAsync(static (context, call) => call.PrimaryAttemptAsync(context.CancellationToken), context, call);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    private static ResiliencePipeline<HttpResponseMessage> Build(int maxAttempts, TimeSpan delay)
    {
        if (maxAttempts <= 1)
        {
            return ResiliencePipeline<HttpResponseMessage>.Empty;
        }

        return new ResiliencePipelineBuilder<HttpResponseMessage>()
            .AddHedging(new HedgingStrategyOptions<HttpResponseMessage>
            {
                // Polly allows at most 10 hedged attempts; clusters are far smaller.
                MaxHedgedAttempts = Math.Min(maxAttempts - 1, 10),
                Delay = delay,
                ShouldHandle = static args => ValueTask.FromResult(args.Outcome.Exception is NodeAttemptException { MayRetry: true }),
                ActionGenerator = static args =>
                {
                    var call = args.PrimaryContext.Properties.GetValue(CallKey, null!);
                    return call.NextAttempt(args.ActionContext.CancellationToken);
                },
            })
            .Build();
    }
}
