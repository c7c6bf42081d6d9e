using System.Buffers.Binary;
using System.Net.Sockets;

namespace OdooAspire.ReplicaRouter.Relay;

/// <summary>
/// Relays a session's bytes inside the kernel once its startup phase is over: both sockets go into a BPF socket
/// map whose stream-parser programs (<see cref="RelayPrograms"/>) send every chunk a socket receives out of its peer.
/// The router's process is not woken per message; on two CPU-bound cores that is what separates a relay that costs
/// PostgreSQL half its throughput from one that costs it 20–30 % (bench/replica-router). Needs Linux with
/// CAP_BPF and CAP_NET_ADMIN (root here); <see cref="TryCreate"/> says why not otherwise.
/// </summary>
public sealed class KernelRelay : IDisposable
{
    private const int SolSocket = 1;
    private const int SoCookie = 57;

    private readonly int _sockets;
    private readonly int _flows;
    private readonly int _drains;
    private readonly int _parser;
    private readonly int _verdict;
    private int _disposed;

    private KernelRelay(int sockets, int flows, int drains, int parser, int verdict)
    {
        _sockets = sockets;
        _flows = flows;
        _drains = drains;
        _parser = parser;
        _verdict = verdict;
    }

    /// <summary>Sets up the maps and programs for up to <paramref name="maxSessions"/> sessions; null and the reason when the kernel refuses.</summary>
    public static KernelRelay? TryCreate(int maxSessions, out string? failure)
    {
        failure = null;
        if (!OperatingSystem.IsLinux() || Bpf.SyscallNumber is null)
        {
            failure = "the kernel relay needs Linux on x64 or arm64";
            return null;
        }

        List<int> opened = [];
        try
        {
            var sockets = Open(Bpf.CreateMap(Bpf.MapTypeSockHash, sizeof(ulong), sizeof(int), 2 * maxSessions, "oa_relay_socks"));
            var flows = Open(Bpf.CreateMap(Bpf.MapTypeHash, sizeof(ulong), FlowLayout.Size, 2 * maxSessions, "oa_relay_flows"));
            var drains = Open(Bpf.CreateMap(Bpf.MapTypeHash, sizeof(ulong), sizeof(uint), maxSessions, "oa_relay_drains"));
            var parser = Open(Bpf.LoadProgram(Bpf.ProgTypeSkSkb, RelayPrograms.Parser(), "oa_relay_parse"));
            var verdict = Open(Bpf.LoadProgram(Bpf.ProgTypeSkSkb, RelayPrograms.Verdict(sockets, flows, drains), "oa_relay"));
            Bpf.Attach(parser, sockets, Bpf.AttachSkSkbStreamParser, "attaching the stream parser");
            Bpf.Attach(verdict, sockets, Bpf.AttachSkSkbStreamVerdict, "attaching the relay program");
            return new KernelRelay(sockets, flows, drains, parser, verdict);
        }
        catch (BpfException ex)
        {
            foreach (var fd in opened)
            {
                Bpf.Close(fd);
            }

            failure = ex.Errno is 1 or 13
                ? $"{ex.Message}: the router needs CAP_BPF and CAP_NET_ADMIN (or root) for the kernel relay"
                : ex.Message;
            return null;
        }

        int Open(int fd)
        {
            opened.Add(fd);
            return fd;
        }
    }

    /// <summary>
    /// Hands a session whose startup phase is over to the kernel. Call it when neither side has anything in flight
    /// (the backend just sent ReadyForQuery, which the client has not been given yet). Null when the maps are full:
    /// the session then stays in user space.
    /// </summary>
    public KernelRelaySession? TryAttach(Socket client, Socket server)
    {
        var clientCookie = Cookie(client);
        var serverCookie = Cookie(server);
        try
        {
            PutFlow(clientCookie, serverCookie, fromBackend: false);
            PutFlow(serverCookie, clientCookie, fromBackend: true);

            // The client's socket first: until the second entry exists, a chunk from the client would have nowhere to go.
            PutSocket(serverCookie, client);
            PutSocket(clientCookie, server);
            return new KernelRelaySession(this, clientCookie, serverCookie);
        }
        catch (BpfException)
        {
            Release(clientCookie, serverCookie);
            ReadFlow(clientCookie, remove: true);
            ReadFlow(serverCookie, remove: true);
            return null;
        }
    }

    /// <summary>Sockets the relay keeps counters for: two per session handed over and not yet ended.</summary>
    public int TrackedSockets => Volatile.Read(ref _disposed) != 0 ? 0 : Bpf.Count(_flows, sizeof(ulong));

    /// <summary>A socket's flow: bytes it received and relayed, and (a backend's) idle flag; <paramref name="remove"/> takes it out of the map.</summary>
    internal (long FromSocket, bool Idle)? ReadFlow(ulong cookie, bool remove = false)
    {
        Span<byte> key = stackalloc byte[sizeof(ulong)];
        Span<byte> value = stackalloc byte[FlowLayout.Size];
        BinaryPrimitives.WriteUInt64LittleEndian(key, cookie);
        if (Volatile.Read(ref _disposed) != 0 || !(remove ? Bpf.Take(_flows, key, value) : Bpf.Lookup(_flows, key, value)))
        {
            return null;
        }

        return ((long)BinaryPrimitives.ReadUInt64LittleEndian(value[FlowLayout.Bytes..]), BinaryPrimitives.ReadUInt32LittleEndian(value[FlowLayout.Idle..]) != 0);
    }


    /// <summary>From now on the client's next transaction on this backend is not relayed (see <see cref="RelayPrograms.Verdict"/>).</summary>
    internal void Drain(ulong serverCookie)
    {
        Span<byte> key = stackalloc byte[sizeof(ulong)];
        Span<byte> value = stackalloc byte[sizeof(uint)];
        BinaryPrimitives.WriteUInt64LittleEndian(key, serverCookie);
        BinaryPrimitives.WriteUInt32LittleEndian(value, 1);
        if (Volatile.Read(ref _disposed) == 0)
        {
            Bpf.Update(_drains, key, value, "marking a session to close between transactions");
        }
    }

    /// <summary>Takes both sockets out of the socket map: from then on nothing relays them (closing a socket does the same).</summary>
    internal void Release(ulong clientCookie, ulong serverCookie)
    {
        Delete(_sockets, clientCookie);
        Delete(_sockets, serverCookie);
    }

    internal void Undrain(ulong serverCookie) => Delete(_drains, serverCookie);

    private void Delete(int map, ulong cookie)
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            return;
        }

        Span<byte> key = stackalloc byte[sizeof(ulong)];
        BinaryPrimitives.WriteUInt64LittleEndian(key, cookie);
        Bpf.Delete(map, key);
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            // Closing the map detaches the programs; sockets still in it go back to plain TCP.
            foreach (var fd in (ReadOnlySpan<int>)[_verdict, _parser, _drains, _flows, _sockets])
            {
                Bpf.Close(fd);
            }
        }
    }

    private void PutFlow(ulong cookie, ulong peer, bool fromBackend)
    {
        Span<byte> key = stackalloc byte[sizeof(ulong)];
        Span<byte> value = stackalloc byte[FlowLayout.Size];
        value.Clear();
        BinaryPrimitives.WriteUInt64LittleEndian(key, cookie);
        BinaryPrimitives.WriteUInt64LittleEndian(value[FlowLayout.Peer..], peer);
        BinaryPrimitives.WriteUInt32LittleEndian(value[FlowLayout.FromBackend..], fromBackend ? 1u : 0u);
        Bpf.Update(_flows, key, value, "tracking a relayed socket");
    }

    private void PutSocket(ulong key, Socket socket)
    {
        Span<byte> keyBytes = stackalloc byte[sizeof(ulong)];
        Span<byte> fd = stackalloc byte[sizeof(int)];
        BinaryPrimitives.WriteUInt64LittleEndian(keyBytes, key);
        var added = false;
        socket.SafeHandle.DangerousAddRef(ref added);
        try
        {
            BinaryPrimitives.WriteInt32LittleEndian(fd, (int)socket.SafeHandle.DangerousGetHandle());
            Bpf.Update(_sockets, keyBytes, fd, "adding a socket to the relay");
        }
        finally
        {
            if (added)
            {
                socket.SafeHandle.DangerousRelease();
            }
        }
    }

    private static ulong Cookie(Socket socket)
    {
        Span<byte> cookie = stackalloc byte[sizeof(ulong)];
        socket.GetRawSocketOption(SolSocket, SoCookie, cookie);
        return BinaryPrimitives.ReadUInt64LittleEndian(cookie);
    }
}

/// <summary>A session the kernel relays: its traffic counters and whether it is between transactions.</summary>
public sealed class KernelRelaySession(KernelRelay relay, ulong clientCookie, ulong serverCookie) : IDisposable
{
    private long _toBackend;
    private long _toClient;
    private int _disposed;
    private int _drained;

    /// <summary>Bytes relayed so far; the last reading once the session is disposed.</summary>
    public (long ToBackend, long ToClient) Bytes
    {
        get
        {
            if (Volatile.Read(ref _disposed) == 0)
            {
                Read(remove: false);
            }

            return (Interlocked.Read(ref _toBackend), Interlocked.Read(ref _toClient));
        }
    }

    /// <summary>Whether the backend's last answer ended with ReadyForQuery 'I' and the client has sent nothing since.</summary>
    public bool IsIdle => Volatile.Read(ref _disposed) == 0 && relay.ReadFlow(serverCookie) is { Idle: true };

    private void Read(bool remove)
    {
        if (relay.ReadFlow(clientCookie, remove) is { } fromClient)
        {
            RaiseTo(ref _toBackend, fromClient.FromSocket);
        }

        if (relay.ReadFlow(serverCookie, remove) is { } fromServer)
        {
            RaiseTo(ref _toClient, fromServer.FromSocket);
        }
    }

    // Readers race; a counter only moves up.
    private static void RaiseTo(ref long counter, long value)
    {
        for (var seen = Interlocked.Read(ref counter); value > seen;)
        {
            var previous = Interlocked.CompareExchange(ref counter, value, seen);
            if (previous == seen)
            {
                return;
            }

            seen = previous;
        }
    }

    /// <summary>
    /// Lets the current transaction finish but not a new one start: a client's query sent between transactions is
    /// dropped, and <see cref="IsIdle"/> says when to close.
    /// </summary>
    public void DrainAtIdle()
    {
        if (Volatile.Read(ref _disposed) == 0)
        {
            Volatile.Write(ref _drained, 1);
            relay.Drain(serverCookie);
        }
    }

    /// <summary>Stops relaying at once (the sockets leave the socket map); the counters stay readable.</summary>
    public void StopRelaying()
    {
        if (Volatile.Read(ref _disposed) == 0)
        {
            relay.Release(clientCookie, serverCookie);
        }
    }

    /// <summary>
    /// Takes the final counts out of the maps. Call it once both sockets are closed: closing a socket is what takes it
    /// out of the socket map, so only the counters (and a drain mark) are left to remove.
    /// </summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            try
            {
                Read(remove: true);
            }
            catch (BpfException)
            {
                // Only a kernel fault gets here: the last counts are lost, the session still ends cleanly.
            }

            if (Volatile.Read(ref _drained) != 0)
            {
                relay.Undrain(serverCookie);
            }
        }
    }
}
