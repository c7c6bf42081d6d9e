using System.Collections.Concurrent;
using System.Net.Sockets;
using Microsoft.Extensions.Options;
using OdooAspire.ReplicaRouter.Backends;
using OdooAspire.ReplicaRouter.Protocol;

namespace OdooAspire.ReplicaRouter.Proxy;

/// <summary>
/// Which backend owns each live session's cancel key (from its BackendKeyData), so a CancelRequest,
/// which arrives on a new connection, reaches the server that runs the query.
/// </summary>
public sealed partial class CancelRegistry(IOptions<ReplicaRouterOptions> options, ILogger<CancelRegistry> logger)
{
    private readonly ConcurrentDictionary<CancelKey, Backend> _owners = new();

    public int Count => _owners.Count;

    public void Register(CancelKey key, Backend backend) => _owners[key] = backend;

    public void Unregister(CancelKey key) => _owners.TryRemove(key, out _);

    /// <summary>Sends the CancelRequest <paramref name="packet"/> to the backend owning its key; unknown keys are dropped, as PostgreSQL does.</summary>
    public async Task<bool> ForwardAsync(byte[] packet)
    {
        var key = StartupPacket.ReadCancelKey(packet);
        if (!_owners.TryGetValue(key, out var backend))
        {
            LogUnknown(key.ProcessId);
            return false;
        }

        using var timeout = new CancellationTokenSource(options.Value.ConnectTimeout);
        using var socket = new Socket(backend.EndPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(backend.EndPoint, timeout.Token);
            await socket.SendAsync(packet, SocketFlags.None, timeout.Token);
            socket.Shutdown(SocketShutdown.Send);
            LogForwarded(key.ProcessId, backend.Name);
            return true;
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException)
        {
            LogFailed(key.ProcessId, backend.Name, ex.Message);
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "CancelRequest for unknown backend process {ProcessId} dropped")]
    private partial void LogUnknown(int processId);

    [LoggerMessage(Level = LogLevel.Information, Message = "CancelRequest for backend process {ProcessId} forwarded to {Backend}")]
    private partial void LogForwarded(int processId, string backend);

    [LoggerMessage(Level = LogLevel.Warning, Message = "CancelRequest for backend process {ProcessId} could not reach {Backend}: {Error}")]
    private partial void LogFailed(int processId, string backend, string error);
}
