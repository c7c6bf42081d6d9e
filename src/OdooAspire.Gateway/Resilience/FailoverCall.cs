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

    public FailoverCall(NodeFailoverHandler handler, HttpRequestMessage request, ClusterState cluster, DestinationState primary, ForwardedRequest forwarded)
    {
        _handler = handler;
        _primaryRequest = request;
        _cluster = cluster;
        _primary = primary;
        _request = forwarded;
        _originalContent = request.Content;
        _tried = [primary];
        if (forwarded.Body is null && request.Content is not null)
        {
            _streamedBody = new TrackingContent(request.Content);
        }
    }

    /// <summary>Hedging only makes sense when a copy can be sent while the first attempt is still running.</summary>
    public bool CanHedge => _request.IsSafe && _request.Body is not null;

    public DestinationState? ServedBy(HttpResponseMessage response) =>
        response.RequestMessage?.Options.TryGetValue(DestinationKey, out var destination) == true ? destination : null;

    public ValueTask<Outcome<HttpResponseMessage>> PrimaryAttemptAsync(CancellationToken cancellationToken)
    {
        var content = Body();
        _primaryRequest.Content = content;
        return AttemptAsync(_primary, _primaryRequest, content, isRetry: false, cancellationToken);
    }

    /// <summary>The next attempt on a node not tried yet, or null when none is left or the body cannot be sent again.</summary>
    public Func<ValueTask<Outcome<HttpResponseMessage>>>? NextAttempt(CancellationToken cancellationToken)
    {
        if (_streamedBody is { WasSent: true })
        {
            return null;
        }

        DestinationState? next;
        lock (_tried)
        {
            next = _handler.Balancer.Pick(_cluster.ClusterId, _cluster.DestinationsState.AvailableDestinations, _tried);
            if (next is null)
            {
                return null;
            }

            _tried.Add(next);
        }

        return () =>
        {
            var content = Body();
            return AttemptAsync(next, Copy(next, content), content, isRetry: true, cancellationToken);
        };
    }

    private async ValueTask<Outcome<HttpResponseMessage>> AttemptAsync(
        DestinationState destination, HttpRequestMessage request, TrackingContent? content, bool isRetry, CancellationToken cancellationToken)
    {
        var node = _handler.Statistics.For(_cluster.ClusterId, destination.DestinationId);
        _handler.Statistics.AttemptStarted(node, isRetry);
        request.Options.Set(DestinationKey, destination);
        try
        {
            var response = await _handler.SendToNodeAsync(request, cancellationToken);
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
