using Yarp.ReverseProxy.Model;

namespace OdooAspire.Gateway.Resilience;

/// <summary>
/// One attempt on one node failed. <see cref="ReachedNode"/> says whether the node may have received the request;
/// <see cref="MayRetry"/> whether another node may be tried (never reached, or safe to replay).
/// </summary>
internal sealed class NodeAttemptException(DestinationState destination, bool reachedNode, bool mayRetry, Exception inner)
    : Exception($"Forwarding to {destination.DestinationId} failed ({(reachedNode ? "after" : "before")} the request was sent): {inner.Message}", inner)
{
    public DestinationState Destination { get; } = destination;

    public bool ReachedNode { get; } = reachedNode;

    public bool MayRetry { get; } = mayRetry;
}
