using System.Net;
using System.Net.Sockets;

namespace OdooAspire.Tests.Infrastructure;

/// <summary>Ports for processes a test starts itself, outside the app model (which allocates its own).</summary>
public static class LoopbackPort
{
    /// <summary>A loopback port free right now (the OS picks it; the caller binds it soon after).</summary>
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
