using System.Net;
using Polly;
using Yarp.ReverseProxy.Model;

namespace OdooAspire.Gateway.Resilience;

/// <summary>
/// One forwarded request and its attempts: the first goes to the node YARP's load balancer chose, each further one to
/// another available node. Knows whether the request may be replayed and records every attempt per node.
/// </summary>
internal sealed class FailoverCall
{
    private static readonly HttpRequestOptionsKey<DestinationState> DestinationKey = new("OdooAspire.Destination");

    private readonly NodeFailoverHandler _handler;
    private readonly HttpRequestMessage _primaryRequest;
    private readonly DestinationState _primary;
    private readonly ClusterState _cluster;
    private readonly ForwardedRequest _request;
    private readonly HttpContent? _originalContent;
    private readonly TrackingContent? _streamedBody;
    private readonly List<DestinationState> _tried;
    private readonly FailoverPipelines _pipelines;
    private DestinationState? _retryNode;
    private (Task<Outcome<HttpResponseMessage>> Attempt, CancellationTokenSource Cancellation)? _overdue;

    public FailoverCall(NodeFailoverHandler handler, HttpRequestMessage request, ClusterState cluster, DestinationState primary, ForwardedRequest forwarded)
    {
        _handler = handler;
        _primaryRequest = request;
        _cluster = cluster;
        _primary = primary;
        _request = forwarded;
        _originalContent = request.Content;
        _pipelines = handler.Pipelines;
        _tried = [primary];
        if (forwarded.Body is null && request.Content is not null)
        {
            _streamedBody = new TrackingContent(request.Content);
        }
    }

    /// <summary>Hedging only makes sense when a copy can be sent while the first attempt is still running.</summary>
    public bool CanHedge => _request.IsSafe && _request.Body is not null && _pipelines.MaxAttempts > 1;

    public DestinationState? ServedBy(HttpResponseMessage response) =>
        response.RequestMessage?.Options.TryGetValue(DestinationKey, out var destination) == true ? destination : null;

    /// <summary>
    /// Forwards the request. The first attempt goes straight to the chosen node; Polly's hedging pipeline takes over
    /// only when that attempt failed in a way another node can fix, or, for a safe request, has not answered within
    /// the hedging delay. Nearly every request is answered well within the delay and never enters the pipeline, whose
    /// per-execution machinery cost a measurable share of the gateway's CPU (bench/gateway/RESULTS.md).
    /// </summary>
    public async Task<Outcome<HttpResponseMessage>> RunAsync(CancellationToken cancellationToken)
    {
        if (!CanHedge)
        {
            var outcome = await PrimaryAttemptAsync(cancellationToken);
            return await RetryElsewhereAsync(_pipelines.Fallback, outcome, cancellationToken);
        }

        // The first attempt's own cancellation: a hedge that answers first cancels it without cancelling the request.
        using var firstCancellation = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var first = PrimaryAttemptAsync(firstCancellation.Token).AsTask();
        if (!first.IsCompleted)
        {
            await ((Task)first).WaitAsync(_pipelines.HedgingDelay, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        if (first.IsCompleted || cancellationToken.IsCancellationRequested)
        {
            // Answered (or failed) in time, or the request itself was cancelled, which ends the first attempt too.
            return await RetryElsewhereAsync(_pipelines.Hedged, await first, cancellationToken);
        }

        _overdue = (first, firstCancellation);
        try
        {
            return await FailoverPipelines.RunAsync(_pipelines.Overdue, this, static (context, call) => call.AwaitOverdueAsync(context.CancellationToken), cancellationToken);
        }
        finally
        {
            if (_overdue is { } orphaned)
            {
                // Polly never took the first attempt (the request was cancelled as it began): end it here.
                await firstCancellation.CancelAsync();
                (await orphaned.Attempt).Result?.Dispose();
            }
        }
    }

    /// <summary>The next node not tried yet, or null when none is left, the attempts are used up or the body cannot be sent again.</summary>
    public DestinationState? TryReserveNextNode()
    {
        if (_streamedBody is { WasSent: true })
        {
            return null;
        }

        lock (_tried)
        {
            if (_tried.Count >= _pipelines.MaxAttempts)
            {
                return null;
            }

            var next = _handler.Balancer.Pick(_cluster.ClusterId, _cluster.DestinationsState.AvailableDestinations, _tried);
            if (next is not null)
            {
                _tried.Add(next);
            }

            return next;
        }
    }

    /// <summary>An attempt on a node other than the first, with its own copy of the request.</summary>
    public ValueTask<Outcome<HttpResponseMessage>> AttemptAsync(DestinationState destination, CancellationToken cancellationToken)
    {
        var content = Body();
        return AttemptAsync(destination, Copy(destination, content), content, isRetry: true, cancellationToken);
    }

    private ValueTask<Outcome<HttpResponseMessage>> PrimaryAttemptAsync(CancellationToken cancellationToken)
    {
        var content = Body();
        _primaryRequest.Content = content;
        return AttemptAsync(_primary, _primaryRequest, content, isRetry: false, cancellationToken);
    }

    /// <summary>
    /// <paramref name="outcome"/> as it is, unless it is a failure another node may fix and a node is left to try:
    /// then Polly runs the rest, starting on that node.
    /// </summary>
    private async Task<Outcome<HttpResponseMessage>> RetryElsewhereAsync(
        ResiliencePipeline<HttpResponseMessage> pipeline, Outcome<HttpResponseMessage> outcome, CancellationToken cancellationToken)
    {
        if (outcome.Exception is not NodeAttemptException { MayRetry: true } || TryReserveNextNode() is not { } next)
        {
            return outcome;
        }

        _retryNode = next;
        return await FailoverPipelines.RunAsync(pipeline, this, static (context, call) => call.AttemptAsync(call._retryNode!, context.CancellationToken), cancellationToken);
    }

    /// <summary>The overdue first attempt as the pipeline's primary action: cancelling the pipeline's token cancels it.</summary>
    private async ValueTask<Outcome<HttpResponseMessage>> AwaitOverdueAsync(CancellationToken cancellationToken)
    {
        var (first, cancellation) = _overdue!.Value;
        _overdue = null;
        using var registration = cancellationToken.UnsafeRegister(static source => ((CancellationTokenSource)source!).Cancel(), cancellation);
        return await first;
    }

    private async ValueTask<Outcome<HttpResponseMessage>> AttemptAsync(
        DestinationState destination, HttpRequestMessage request, TrackingContent? content, bool isRetry, CancellationToken cancellationToken)
    {
        var node = _handler.Statistics.For(_cluster.ClusterId, destination.DestinationId);
        _handler.Statistics.AttemptStarted(node, isRetry);
        request.Options.Set(DestinationKey, destination);
        try
        {
            var response = await _handler.SendToNodeAsync(request, _request.IsSafe, cancellationToken);
            _handler.Statistics.AttemptServed(node);
            response.Headers.TryAddWithoutValidation(_handler.NodeHeaderName, destination.DestinationId);
            return Outcome.FromResult(response);
        }
        catch (OperationCanceledException ex) when (cancellationToken.IsCancellationRequested)
        {
            // Another node answered first, the client left, or the request timed out: not this node's failure.
            _handler.Statistics.AttemptAbandoned(node);
            return Outcome.FromException<HttpResponseMessage>(ex);
        }
        catch (Exception) when (_request.ClientBodyError is { } clientError)
        {
            // The client's own body broke (malformed, over the limit, cut off): the node is not to blame, nor is it tried again.
            _handler.Statistics.AttemptAbandoned(node);
            return Outcome.FromResult(ClientBodyRefusal(clientError));
        }
        catch (Exception ex)
        {
            _handler.Statistics.AttemptFailed(node);
            _handler.Ejection.Eject(_cluster, destination, ex.Message);
            // Without a body to track, only a safe request gets here (writes always carry one, if empty).
            var reachedNode = content?.WasSent ?? true;
            var mayRetry = !reachedNode || (_request.IsSafe && _request.Body is not null);
            return Outcome.FromException<HttpResponseMessage>(new NodeAttemptException(destination, reachedNode, mayRetry, ex));
        }
    }

    /// <summary>The answer to a request whose body the client could not deliver: 413 over the size limit, else 400.</summary>
    private static HttpResponseMessage ClientBodyRefusal(Exception error)
    {
        var status = error is Microsoft.AspNetCore.Http.BadHttpRequestException { StatusCode: 413 } ? HttpStatusCode.RequestEntityTooLarge : HttpStatusCode.BadRequest;
        var message = status == HttpStatusCode.RequestEntityTooLarge ? "Request body over the gateway's limit." : "The request body could not be read.";
        return new HttpResponseMessage(status) { Content = new StringContent(message) };
    }

    /// <summary>
    /// The body for one attempt. Writes always get a tracked body, even an empty one, because only an unsent body
    /// proves the node never received the request.
    /// </summary>
    private TrackingContent? Body()
    {
        if (_streamedBody is not null)
        {
            return _streamedBody;
        }

        if (_request.Body is { } body && (body.Length > 0 || _originalContent is not null || !_request.IsSafe))
        {
            return new TrackingContent(body, _originalContent);
        }

        return null;
    }

    private HttpRequestMessage Copy(DestinationState destination, HttpContent? content)
    {
        var copy = new HttpRequestMessage(_primaryRequest.Method, Rebase(_primaryRequest.RequestUri!, destination))
        {
            Version = _primaryRequest.Version,
            VersionPolicy = _primaryRequest.VersionPolicy,
            Content = content,
        };

        foreach (var header in _primaryRequest.Headers)
        {
            // An explicit Host names the first node; the copy lets HttpClient derive its own.
            if (!string.Equals(header.Key, "Host", StringComparison.OrdinalIgnoreCase))
            {
                copy.Headers.TryAddWithoutValidation(header.Key, header.Value);
            }
        }

        return copy;
    }

    /// <summary>The same path and query on another node: the primary's address prefix is swapped for the other's.</summary>
    private Uri Rebase(Uri uri, DestinationState destination)
    {
        var primaryPath = new Uri(_primary.Model.Config.Address).AbsolutePath.TrimEnd('/');
        var suffix = uri.PathAndQuery[primaryPath.Length..];
        return new Uri(destination.Model.Config.Address.TrimEnd('/') + suffix);
    }
}
