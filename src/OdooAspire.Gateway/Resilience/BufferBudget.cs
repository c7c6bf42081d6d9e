using Microsoft.Extensions.Options;

namespace OdooAspire.Gateway.Resilience;

/// <summary>
/// The bytes of request bodies the gateway holds in memory at once (<c>Limits:MaxBufferedBytesTotal</c>). A body that
/// does not fit streams instead, so a crowd of uploads costs memory within a stated bound and never disk.
/// </summary>
public sealed class BufferBudget(IOptions<GatewayOptions> options)
{
    private long _available = options.Value.Limits.MaxBufferedBytesTotal;

    public long Available => Interlocked.Read(ref _available);

    public bool TryReserve(long bytes)
    {
        if (Interlocked.Add(ref _available, -bytes) >= 0)
        {
            return true;
        }

        Interlocked.Add(ref _available, bytes);
        return false;
    }

    public void Release(long bytes) => Interlocked.Add(ref _available, bytes);
}
