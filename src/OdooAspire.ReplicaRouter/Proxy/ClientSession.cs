using System.Buffers;
using System.Buffers.Binary;
using System.Net.Sockets;
using OdooAspire.ReplicaRouter.Backends;
using OdooAspire.ReplicaRouter.Protocol;
using OdooAspire.ReplicaRouter.Relay;

namespace OdooAspire.ReplicaRouter.Proxy;

/// <summary>
/// One client connection: reads its startup phase, picks a backend (trying the next one when a connect
/// fails), then relays bytes both ways until either side closes or the backend is ejected: after the backend's
/// first ReadyForQuery in the kernel when the <see cref="RelayEngine"/> has it, otherwise here.
/// The router never sees a password: authentication is between the client and the backend.
/// It holds <paramref name="starting"/> until its startup packet is in, then a place in the <see cref="ClientBudget"/>'s MaxClients.
/// </summary>
public sealed partial class ClientSession(
    Socket client, StartingPlace starting, ClientBudget budget, BackendPool pool, WarmSockets warm, CancelRegistry cancels, RelayEngine relay, RouterMetrics metrics,
    ReplicaRouterOptions options, ILogger logger)
    : IBackendSession
{
    /// <summary>How often a kernel-relayed session due to close between transactions is checked.</summary>
    private static readonly TimeSpan IdleCheckInterval = TimeSpan.FromMilliseconds(10);

    private const int MaxDrainBytes = 64 * 1024;

    /// <summary>Room for the backend's first answer: an authentication request, or an error worth reading to decide on a retry.</summary>
    private const int FirstMessageBuffer = 2048;
    private static readonly byte[] NotSupported = "N"u8.ToArray();
    private Socket? _server;

    // True while the last thing relayed was the backend's ReadyForQuery with status idle and the client has sent nothing since.
    private volatile bool _idle;
    private volatile bool _closeWhenIdle;
    private volatile bool _finished;

    // Guards the hand-off to the kernel against a concurrent CloseWhenIdle, which must see one or the other.
    private readonly Lock _gate = new();
    private KernelRelaySession? _kernel;

    public bool RelayedInKernel => _kernel is not null;

    public (long ToBackend, long ToClient) KernelBytes => _kernel?.Bytes ?? default;

    public async Task RunAsync()
    {
        try
        {
            byte[]? startup;
            using (starting)
            {
                startup = await ReadStartupAsync();
            }

            if (startup is null)
            {
                return;
            }

            if (!budget.TryTakeClient())
            {
                await RefuseAsync("too_many_clients", ErrorResponse.TooManyConnections,
                    $"too many client connections (ReplicaRouter:MaxClients={options.MaxClients})");
                return;
            }

            var initial = ArrayPool<byte>.Shared.Rent(FirstMessageBuffer);
            try
            {
                var (server, backend, received) = await ConnectAsync(startup, initial);
                if (server is null || backend is null)
                {
                    return;
                }

                await RelayAsync(server, backend, initial, received);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(initial);
                budget.ReleaseClient();
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or IOException or InvalidDataException)
        {
            LogClosed(ex.Message);
        }
        finally
        {
            client.Dispose();
            _server?.Dispose();
        }
    }

    public void Abort(string reason)
    {
        LogAborted(reason);

        // The kernel would relay for as long as the sockets stay in its map; the runtime may close them a moment later.
        _kernel?.StopRelaying();
        client.Dispose();
        _server?.Dispose();
    }

    public void CloseWhenIdle(string reason)
    {
        KernelRelaySession? kernel;
        lock (_gate)
        {
            _closeWhenIdle = true;
            kernel = _kernel;
        }

        if (kernel is not null)
        {
            _ = CloseWhenKernelIdleAsync(kernel, reason);
        }
        else if (_idle)
        {
            Abort(reason);
        }
    }

    /// <summary>
    /// The kernel keeps the idle flag and, once told to drain, relays no new transaction; the router reads the flag
    /// until the session is between transactions, then closes it (the client's next query, if any, was never run).
    /// </summary>
    private async Task CloseWhenKernelIdleAsync(KernelRelaySession kernel, string reason)
    {
        try
        {
            kernel.DrainAtIdle();
        }
        catch (BpfException ex)
        {
            Abort($"{reason} (closed at once: {ex.Message})");
            return;
        }

        while (!_finished)
        {
            if (kernel.IsIdle)
            {
                Abort(reason);
                return;
            }

            await Task.Delay(IdleCheckInterval);
        }
    }

    /// <summary>
    /// Gives the session to the kernel relay, if there is one, just before the client is sent the backend's first
    /// ReadyForQuery: nothing is in flight either way then. The pumps stay on their pending reads, which now only
    /// end when a side closes. A session already due to close between transactions stays here.
    /// </summary>
    private void HandOffToKernel(Socket server)
    {
        if (relay.Kernel is not { } kernel)
        {
            return;
        }

        lock (_gate)
        {
            if (!_closeWhenIdle && !_finished)
            {
                _kernel = kernel.TryAttach(client, server);
            }
        }
    }

    /// <summary>Answers SSL/GSS requests with 'N', forwards a CancelRequest, and returns the StartupMessage; null when the client is done.</summary>
    private async Task<byte[]?> ReadStartupAsync()
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(starting.Evicted);
        timeout.CancelAfter(options.StartupTimeout);
        var header = new byte[StartupPacket.HeaderLength];
        var encryptionAsked = new HashSet<StartupPacketKind>();
        try
        {
            while (true)
            {
                if (!await ReceiveExactlyAsync(client, header, timeout.Token))
                {
                    LogVanished();
                    return null;
                }

                if (!StartupPacket.TryReadHeader(header, out var kind, out var length, out var error))
                {
                    await RefuseAsync("protocol_violation", ErrorResponse.ProtocolViolation, error);
                    return null;
                }

                var packet = new byte[length];
                header.CopyTo(packet, 0);
                if (!await ReceiveExactlyAsync(client, packet.AsMemory(StartupPacket.HeaderLength), timeout.Token))
                {
                    LogVanished();
                    return null;
                }

                switch (kind)
                {
                    case StartupPacketKind.SslRequest or StartupPacketKind.GssEncRequest when encryptionAsked.Add(kind):
                        // No TLS at the router: clients on loopback or the private network go on in clear text.
                        await client.SendAsync(NotSupported, SocketFlags.None, timeout.Token);
                        continue;
                    case StartupPacketKind.SslRequest or StartupPacketKind.GssEncRequest:
                        await RefuseAsync("protocol_violation", ErrorResponse.ProtocolViolation, "encryption requested twice");
                        return null;
                    case StartupPacketKind.CancelRequest:
                        await cancels.ForwardAsync(packet);
                        return null;
                }

                if (!StartupPacket.TryReadParameters(packet, out _, out error))
                {
                    await RefuseAsync("protocol_violation", ErrorResponse.ProtocolViolation, error);
                    return null;
                }

                return packet;
            }
        }
        catch (OperationCanceledException) when (starting.Evicted.IsCancellationRequested)
        {
            await RefuseAsync("startup_evicted", ErrorResponse.TooManyConnections,
                $"too many connections in their startup phase, and this one had waited longest (ReplicaRouter:MaxStartingClients={options.MaxStartingClients})");
            return null;
        }
        catch (OperationCanceledException)
        {
            await RefuseAsync("startup_timeout", ErrorResponse.ProtocolViolation,
                $"no startup packet within {options.StartupTimeout.TotalSeconds:0.#} s (ReplicaRouter:StartupTimeout)");
            return null;
        }
    }

    /// <summary>
    /// Opens the first candidate that accepts the startup packet. A backend that refuses the TCP connection,
    /// does not answer, or answers "shutting down / starting up" is ejected and the next one tried, so the
    /// client only sees an error when no backend can serve it.
    /// </summary>
    private async Task<(Socket? Server, Backend? Backend, int Received)> ConnectAsync(byte[] startup, byte[] buffer)
    {
        foreach (var backend in pool.Selector.Candidates())
        {
            var (server, received, failure) = await TryOpenAsync(backend, warm.TryTake(backend), startup, buffer);
            if (failure is not null && server is not null)
            {
                // The server may have closed a warm socket since it was checked: only a fresh connect speaks for the backend.
                (server, received, failure) = await TryOpenAsync(backend, null, startup, buffer);
            }

            if (failure is null)
            {
                _server = server;
                return (server, backend, received);
            }

            LogConnectFailed(backend.Name, failure);
            pool.Apply(backend, backend.Health.ConnectFailed(failure, pool.Now));
        }

        if (options.WhenNoReplica == NoReplicaMode.Refuse)
        {
            await RefuseAsync("no_replica", ErrorResponse.CannotConnectNow, "no healthy replica (ReplicaRouter:WhenNoReplica=Refuse)");
        }
        else
        {
            await RefuseAsync("no_backend", ErrorResponse.CannotConnectNow, "no backend available: every replica and the primary are down");
        }

        return (null, null, 0);
    }

    /// <summary>
    /// Sends the startup packet over <paramref name="warmSocket"/> (or a new connection) and reads the first answer.
    /// On failure the socket is closed and returned (non-null when it was a warm one) with the reason.
    /// </summary>
    private async Task<(Socket? Server, int Received, string? Failure)> TryOpenAsync(Backend backend, Socket? warmSocket, byte[] startup, byte[] buffer)
    {
        var server = warmSocket ?? new Socket(backend.EndPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        string failure;
        try
        {
            using var timeout = new CancellationTokenSource(options.ConnectTimeout);
            if (warmSocket is null)
            {
                await server.ConnectAsync(backend.EndPoint, timeout.Token);
            }

            await server.SendAsync(startup, SocketFlags.None, timeout.Token);
            var received = await ReceiveFirstMessageAsync(server, buffer, timeout.Token);
            if (received == 0)
            {
                failure = "closed the connection before answering the startup packet";
            }
            else if (RetryableSqlState(buffer.AsSpan(0, received)) is { } sqlState)
            {
                failure = $"refused the session ({sqlState})";
            }
            else
            {
                return (server, received, null);
            }
        }
        catch (OperationCanceledException)
        {
            failure = $"no answer within {options.ConnectTimeout.TotalMilliseconds:0} ms (ReplicaRouter:ConnectTimeout)";
        }
        catch (SocketException ex)
        {
            failure = ex.Message;
        }

        server.Dispose();
        return (warmSocket, 0, failure);
    }

    private async Task RelayAsync(Socket server, Backend backend, byte[] initial, int received)
    {
        backend.Attach(this);
        var scanner = new StartupResponseScanner();
        try
        {
            scanner.Feed(initial.AsSpan(0, received));
            if (scanner.Ready)
            {
                if (scanner.Key is { } key)
                {
                    Register(key);
                }

                HandOffToKernel(server);
            }

            await client.SendAsync(initial.AsMemory(0, received), SocketFlags.None);
            backend.CountToClient(received);
            var toBackend = PumpAsync(client, server, backend, toBackend: true, startupScanner: null);
            var toClient = PumpAsync(server, client, backend, toBackend: false, scanner.Ready ? null : scanner);
            if (await Task.WhenAny(toBackend, toClient) == toBackend)
            {
                // The client is done: the backend sees end-of-file and closes, so the other pump ends without an error.
                ShutdownSend(server);
                try
                {
                    await toClient.WaitAsync(options.ConnectTimeout);
                }
                catch (TimeoutException)
                {
                    // The backend did not close after the client left: closing both sockets below ends it.
                }
            }

            client.Dispose();
            server.Dispose();
            await Task.WhenAll(toBackend, toClient);
        }
        finally
        {
            _finished = true;
            _kernel?.Dispose();
            backend.Detach(this);
            if (scanner.Key is { } registered)
            {
                cancels.Unregister(registered);
            }
        }

        void Register(CancelKey key) => cancels.Register(key, backend);

        async Task PumpAsync(Socket from, Socket to, Backend counted, bool toBackend, StartupResponseScanner? startupScanner)
        {
            var buffer = ArrayPool<byte>.Shared.Rent(options.BufferSize);
            try
            {
                while (true)
                {
                    var read = await from.ReceiveAsync(buffer, SocketFlags.None);
                    if (read == 0)
                    {
                        return;
                    }

                    if (toBackend)
                    {
                        _idle = false;
                    }
                    else
                    {
                        // Set before the client sees the answer, so its next query cannot be overtaken by this store.
                        // Not after the startup phase: a client that just connected is about to send its first query.
                        _idle = startupScanner is null && ReadyForQuery.EndsIdle(buffer.AsSpan(0, read));
                    }

                    if (startupScanner is not null)
                    {
                        startupScanner.Feed(buffer.AsSpan(0, read));
                        if (startupScanner.Ready)
                        {
                            if (startupScanner.Key is { } startupKey)
                            {
                                Register(startupKey);
                            }

                            startupScanner = null;
                            HandOffToKernel(from);
                        }
                    }

                    await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None);
                    if (toBackend)
                    {
                        counted.CountToBackend(read);
                    }
                    else
                    {
                        counted.CountToClient(read);
                        if (_closeWhenIdle && _idle)
                        {
                            Abort($"{counted.Name} was ejected; closed between transactions");
                            return;
                        }
                    }
                }
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException or IOException or InvalidDataException)
            {
                // The other side closed or the session was aborted: the caller closes both sockets.
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    private static void ShutdownSend(Socket socket)
    {
        try
        {
            socket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // Already closed: nothing to signal.
        }
    }

    /// <summary>Reads until the backend's first message is complete (or at least known not to be an error); 0 if it closed.</summary>
    private static async Task<int> ReceiveFirstMessageAsync(Socket server, byte[] buffer, CancellationToken cancellationToken)
    {
        var filled = 0;
        while (true)
        {
            var read = await server.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None, cancellationToken);
            if (read == 0)
            {
                return filled;
            }

            filled += read;
            if (buffer[0] != (byte)'E' || filled == buffer.Length)
            {
                return filled;
            }

            if (filled >= 5 && filled >= 1 + BinaryPrimitives.ReadInt32BigEndian(buffer.AsSpan(1)))
            {
                return filled;
            }
        }
    }

    /// <summary>The SQLSTATE when the backend's first message says it cannot take sessions now (shutting down, starting up).</summary>
    private static string? RetryableSqlState(ReadOnlySpan<byte> first)
    {
        if (first.Length < 5 || first[0] != (byte)'E')
        {
            return null;
        }

        var length = BinaryPrimitives.ReadInt32BigEndian(first[1..]);
        if (length < 4 || first.Length < 1 + length)
        {
            return null;
        }

        return ErrorResponse.SqlState(first.Slice(5, length - 4)) is { } state
            && state is ErrorResponse.CannotConnectNow or ErrorResponse.AdminShutdown or ErrorResponse.CrashShutdown
            ? state
            : null;
    }

    private async Task RefuseAsync(string reason, string sqlState, string message)
    {
        metrics.Refused(reason);
        LogRefused(reason, message);
        try
        {
            using var timeout = new CancellationTokenSource(options.ConnectTimeout);
            await client.SendAsync(ErrorResponse.Fatal(sqlState, message), SocketFlags.None, timeout.Token);
            client.Shutdown(SocketShutdown.Send);

            // Closing with unread input would reset the connection and could discard the error before the client reads it;
            // an evicted connection is closed at once, so a flood of them holds no more sockets than the starting budget.
            using var draining = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, starting.Evicted);
            var discard = ArrayPool<byte>.Shared.Rent(4096);
            try
            {
                for (var drained = 0; drained < MaxDrainBytes;)
                {
                    var read = await client.ReceiveAsync(discard, SocketFlags.None, draining.Token);
                    if (read == 0)
                    {
                        break;
                    }

                    drained += read;
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(discard);
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // The client is gone already; closing is all that is left.
        }
    }

    private static async Task<bool> ReceiveExactlyAsync(Socket socket, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var filled = 0;
        while (filled < buffer.Length)
        {
            var read = await socket.ReceiveAsync(buffer[filled..], SocketFlags.None, cancellationToken);
            if (read == 0)
            {
                return false;
            }

            filled += read;
        }

        return true;
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Client closed during the startup phase")]
    private partial void LogVanished();

    [LoggerMessage(Level = LogLevel.Debug, Message = "Client connection closed: {Error}")]
    private partial void LogClosed(string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Client connection closed by the router: {Reason}")]
    private partial void LogAborted(string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Connecting a client to {Backend} failed: {Error}; trying the next backend")]
    private partial void LogConnectFailed(string backend, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Client refused ({Reason}): {Message}")]
    private partial void LogRefused(string reason, string message);
}
