using Microsoft.Extensions.Options;
using Polly;
using Polly.Hedging;

namespace OdooAspire.Gateway.Resilience;

/// <summary>
/// The Polly hedging pipelines that take over a forwarded request once its first attempt needs help (see
/// <see cref="FailoverCall.RunAsync"/>). Safe requests are hedged: still unanswered after <c>HedgingDelay</c>, they
/// also go to another node and the first answer wins. Writes run in fallback mode: another node only after a failure,
/// and only when the failed node never received the request.
/// </summary>
public sealed class FailoverPipelines
{
    private static readonly ResiliencePropertyKey<FailoverCall> CallKey = new("OdooAspire.FailoverCall");

    public FailoverPipelines(IOptions<GatewayOptions> options)
    {
        var retry = options.Value.Retry;
        MaxAttempts = Math.Max(1, retry.MaxAttempts);
        HedgingDelay = retry.HedgingDelay;
        Hedged = Build(MaxAttempts, retry.HedgingDelay, firstHedgeAtOnce: false);
        Overdue = Build(MaxAttempts, retry.HedgingDelay, firstHedgeAtOnce: true);
        Fallback = Build(MaxAttempts, Timeout.InfiniteTimeSpan, firstHedgeAtOnce: false);
    }

    /// <summary>Attempts per request, the first one included.</summary>
    public int MaxAttempts { get; }

    /// <summary>How long a safe request waits for a node before another one is asked too.</summary>
    public TimeSpan HedgingDelay { get; }

    /// <summary>Retries a safe request whose first attempt failed: another node now, a further one after each delay.</summary>
    public ResiliencePipeline<HttpResponseMessage> Hedged { get; }

    /// <summary>A safe request whose first attempt is already a hedging delay late: another node at once, then after each delay.</summary>
    public ResiliencePipeline<HttpResponseMessage> Overdue { get; }

    /// <summary>For writes and for bodies too large to buffer: another node only after a failure.</summary>
    public ResiliencePipeline<HttpResponseMessage> Fallback { get; }

    internal static async Task<Outcome<HttpResponseMessage>> RunAsync(
        ResiliencePipeline<HttpResponseMessage> pipeline,
        FailoverCall call,
        Func<ResilienceContext, FailoverCall, ValueTask<Outcome<HttpResponseMessage>>> primary,
        CancellationToken cancellationToken)
    {
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        try
        {
            context.Properties.Set(CallKey, call);
            return await pipeline.ExecuteOutcomeAsync(primary, context, call);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    private static ResiliencePipeline<HttpResponseMessage> Build(int maxAttempts, TimeSpan delay, bool firstHedgeAtOnce)
    {
        if (maxAttempts <= 1)
        {
            return ResiliencePipeline<HttpResponseMessage>.Empty;
        }

        return new ResiliencePipelineBuilder<HttpResponseMessage>()
            .AddHedging(new HedgingStrategyOptions<HttpResponseMessage>
            {
                // Polly allows at most 10 hedged attempts; clusters are far smaller. The call itself caps the total.
                MaxHedgedAttempts = Math.Min(maxAttempts - 1, 10),
                Delay = delay,
                // Attempt 1 is the first hedge: an overdue request has already waited its delay outside the pipeline.
                DelayGenerator = firstHedgeAtOnce
                    ? args => ValueTask.FromResult(args.AttemptNumber <= 1 ? TimeSpan.Zero : delay)
                    : null,
                ShouldHandle = static args => ValueTask.FromResult(args.Outcome.Exception is NodeAttemptException { MayRetry: true }),
                ActionGenerator = static args =>
                {
                    var call = args.PrimaryContext.Properties.GetValue(CallKey, null!);
                    return call.TryReserveNextNode() is { } next
                        ? () => call.AttemptAsync(next, args.ActionContext.CancellationToken)
                        : null;
                },
            })
            .Build();
    }
}
