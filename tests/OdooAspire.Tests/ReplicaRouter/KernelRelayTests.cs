using System.Net;
using System.Net.Sockets;
using OdooAspire.ReplicaRouter.Relay;
using OdooAspire.Tests.Infrastructure;

namespace OdooAspire.Tests.ReplicaRouter;

/// <summary>
/// The kernel relay on loopback socket pairs, as the router uses it: a client talks to the router's client-side
/// socket, the router's server-side socket talks to a backend, and once the pair is handed to the kernel the bytes
/// go from one to the other without the router reading them. Needs CAP_BPF and CAP_NET_ADMIN (root): without them
/// these tests fail with the kernel's reason, they never skip.
/// </summary>
public sealed class KernelRelayTests : IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);
    private static readonly byte[] ReadyIdle = "Z\0\0\0\u0005I"u8.ToArray();
    private static readonly byte[] ReadyInTransaction = "Z\0\0\0\u0005T"u8.ToArray();

    private readonly KernelRelay _relay;
    private readonly List<Socket> _sockets = [];

    public KernelRelayTests()
    {
        _relay = KernelRelay.TryCreate(16, out var failure)
            ?? throw new InvalidOperationException($"the kernel relay is not available on this machine: {failure}");
    }

    [Fact]
    public async Task A_handed_off_session_relays_megabytes_both_ways_and_counts_them()
    {
        var (client, backend, session) = await RelayedPairAsync();
        var query = Pattern(1 << 20, seed: 1);
        var answer = Pattern(3 << 20, seed: 2);

        var sent = client.SendAsync(query);
        Assert.Equal(query, await ReceiveExactlyAsync(backend, query.Length));
        await sent;
        sent = backend.SendAsync(answer);
        Assert.Equal(answer, await ReceiveExactlyAsync(client, answer.Length));
        await sent;

        Assert.Equal((query.Length, answer.Length), ((int)session.Bytes.ToBackend, (int)session.Bytes.ToClient));
    }

    [Fact]
    public async Task A_session_that_ended_leaves_nothing_in_the_relay_and_keeps_its_last_counts()
    {
        var (client, backend, session, routerClientSide, routerServerSide) = await HandOffAsync();
        var query = Query("SELECT 1");
        await client.SendAsync(query);
        await ReceiveExactlyAsync(backend, query.Length);
        Assert.Equal(2, _relay.TrackedSockets);

        routerClientSide.Dispose();
        routerServerSide.Dispose();
        session.Dispose();

        Assert.Equal(0, _relay.TrackedSockets);
        Assert.Equal(query.Length, session.Bytes.ToBackend);
    }

    [Fact]
    public async Task The_session_is_idle_only_after_ReadyForQuery_I_and_until_the_client_sends_again()
    {
        var (client, backend, session) = await RelayedPairAsync();
        Assert.False(session.IsIdle, "a session that has not run anything yet is not idle");

        byte[] answer = [.. "C\0\0\0\u000dSELECT 1\0"u8, .. ReadyIdle];
        await backend.SendAsync(answer);
        await ReceiveExactlyAsync(client, answer.Length);
        Assert.True(session.IsIdle, "an answer that ends with ReadyForQuery 'I' leaves the session idle");

        var begin = Query("BEGIN");
        await client.SendAsync(begin);
        await ReceiveExactlyAsync(backend, begin.Length);
        Assert.False(session.IsIdle, "a query in flight makes the session busy");

        await backend.SendAsync(ReadyInTransaction);
        await ReceiveExactlyAsync(client, ReadyInTransaction.Length);
        Assert.False(session.IsIdle, "ReadyForQuery 'T' is inside a transaction");
    }

    [Fact]
    public async Task A_draining_session_finishes_its_transaction_and_no_new_one_reaches_the_backend()
    {
        var (client, backend, session) = await RelayedPairAsync();
        await backend.SendAsync(ReadyInTransaction);
        await ReceiveExactlyAsync(client, ReadyInTransaction.Length);

        session.DrainAtIdle();
        var commit = Query("COMMIT");
        await client.SendAsync(commit);
        Assert.Equal(commit, await ReceiveExactlyAsync(backend, commit.Length));
        await backend.SendAsync(ReadyIdle);
        Assert.Equal(ReadyIdle, await ReceiveExactlyAsync(client, ReadyIdle.Length));
        Assert.True(session.IsIdle);

        var next = Query("SELECT 1");
        await client.SendAsync(next);
        await Poll.UntilAsync(() => Task.FromResult(session.Bytes.ToBackend), bytes => bytes == commit.Length + next.Length, Deadline,
            "the relay seeing the next query");

        // Relayed, the query would have cleared the idle flag before going out; dropped, it leaves it set.
        Assert.True(session.IsIdle, "the next transaction's query was relayed to a draining backend");
        session.StopRelaying();
        client.Dispose();
        Assert.Equal(0, backend.Available);
    }

    [Fact]
    public async Task A_pending_read_on_a_relayed_socket_ends_when_its_peer_closes()
    {
        var (client, _, _, routerClientSide, _) = await HandOffAsync();
        var pending = routerClientSide.ReceiveAsync(new byte[16], SocketFlags.None);
        await client.SendAsync(Query("SELECT 1"));

        client.Dispose();

        Assert.Equal(0, await pending.WaitAsync(Deadline));
    }

    [Fact]
    public async Task After_StopRelaying_the_bytes_stay_with_the_router()
    {
        var (client, backend, session, routerClientSide, _) = await HandOffAsync();
        session.StopRelaying();

        await client.SendAsync("X\0\0\0\u0004"u8.ToArray());

        Assert.Equal("X\0\0\0\u0004"u8.ToArray(), await ReceiveExactlyAsync(routerClientSide, 5));
        Assert.Equal(0, backend.Available);
    }

    public void Dispose()
    {
        foreach (var socket in _sockets)
        {
            socket.Dispose();
        }

        _relay.Dispose();
    }

    private async Task<(Socket Client, Socket Backend, KernelRelaySession Session)> RelayedPairAsync()
    {
        var (client, backend, session, _, _) = await HandOffAsync();
        return (client, backend, session);
    }

    /// <summary>client ⇄ routerClientSide | kernel | routerServerSide ⇄ backend, handed off as the router does.</summary>
    private async Task<(Socket Client, Socket Backend, KernelRelaySession Session, Socket RouterClientSide, Socket RouterServerSide)> HandOffAsync()
    {
        var (client, routerClientSide) = await ConnectedPairAsync();
        var (routerServerSide, backend) = await ConnectedPairAsync();
        var session = _relay.TryAttach(routerClientSide, routerServerSide) ?? throw new InvalidOperationException("the relay refused the session");
        return (client, backend, session, routerClientSide, routerServerSide);
    }

    private async Task<(Socket Connecting, Socket Accepted)> ConnectedPairAsync()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var connecting = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        _sockets.Add(connecting);
        await connecting.ConnectAsync(listener.LocalEndPoint!);
        var accepted = await listener.AcceptAsync();
        accepted.NoDelay = true;
        _sockets.Add(accepted);
        return (connecting, accepted);
    }

    private static async Task<byte[]> ReceiveExactlyAsync(Socket socket, int length)
    {
        using var cts = new CancellationTokenSource(Deadline);
        var buffer = new byte[length];
        for (var filled = 0; filled < length;)
        {
            var read = await socket.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None, cts.Token);
            if (read == 0)
            {
                throw new EndOfStreamException($"closed after {filled} of {length} bytes");
            }

            filled += read;
        }

        return buffer;
    }

    /// <summary>A simple-protocol Query message.</summary>
    private static byte[] Query(string sql)
    {
        var text = System.Text.Encoding.UTF8.GetBytes(sql + "\0");
        var message = new byte[1 + 4 + text.Length];
        message[0] = (byte)'Q';
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(message.AsSpan(1), 4 + text.Length);
        text.CopyTo(message, 5);
        return message;
    }

    private static byte[] Pattern(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
