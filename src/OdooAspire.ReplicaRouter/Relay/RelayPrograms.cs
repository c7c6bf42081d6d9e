namespace OdooAspire.ReplicaRouter.Relay;

/// <summary>
/// The two sk_skb programs of the kernel relay, attached to its socket map. The kernel's stream parser runs them on
/// every chunk a relayed socket receives: the parser takes the chunk whole, the verdict counts it, keeps the session's
/// between-transactions flag, and sends it out of the peer socket. No user-space wake-up is involved.
/// </summary>
internal static class RelayPrograms
{
    // Helper ids (enum bpf_func_id) and registers.
    private const int SkDrop = 0;
    private const int MapLookupElem = 1, SkbLoadBytes = 26, GetSocketCookie = 46, SkRedirectHash = 72;
    private const byte R0 = 0, R1 = 1, R2 = 2, R3 = 3, R4 = 4, R6 = 6, R7 = 7, R8 = 8, R9 = 9, Fp = 10;

    /// <summary>Stream parser: the whole chunk received is one message (PostgreSQL framing does not matter to a relay).</summary>
    public static ulong[] Parser()
    {
        var asm = new BpfAssembler();
        asm.LoadWord(R0, R1, SkbLength);
        asm.Exit();
        return asm.Build();
    }

    /// <summary>
    /// Verdict: <c>flows[cookie]</c> (a <see cref="FlowLayout"/>) gets the chunk's length added; a chunk from a client
    /// clears its backend's idle flag, a chunk from a backend sets it when it ends with ReadyForQuery 'I'. Then the
    /// chunk is redirected to <c>sockets[cookie]</c>, the peer socket, for sending. One exception: a client's chunk
    /// that would start a new transaction on a backend listed in <c>drains</c> (being closed between transactions)
    /// is dropped, so the router closes the session before anything more runs there.
    /// </summary>
    public static ulong[] Verdict(int socketsMapFd, int flowsMapFd, int drainsMapFd)
    {
        var asm = new BpfAssembler();
        asm.Mov(R6, R1);                                   // r6 = skb
        asm.Call(GetSocketCookie);
        asm.StoreDouble(Fp, -8, R0);                       // fp[-8] = this socket's cookie
        asm.LoadMap(R1, flowsMapFd);
        asm.Mov(R2, Fp);
        asm.AddImm(R2, -8);
        asm.Call(MapLookupElem);
        asm.IfEqual(R0, 0, "redirect");                    // not tracked: relay only
        asm.Mov(R7, R0);                                   // r7 = this socket's flow
        asm.LoadWord(R8, R6, SkbLength);                   // r8 = chunk length
        asm.AtomicAddDouble(R7, FlowLayout.Bytes, R8);
        asm.LoadWord(R1, R7, FlowLayout.FromBackend);
        asm.IfNotEqual(R1, 0, "from_backend");

        // From the client: its backend is busy until the next ReadyForQuery.
        asm.LoadDouble(R1, R7, FlowLayout.Peer);
        asm.StoreDouble(Fp, -16, R1);
        asm.LoadMap(R1, flowsMapFd);
        asm.Mov(R2, Fp);
        asm.AddImm(R2, -16);
        asm.Call(MapLookupElem);
        asm.IfEqual(R0, 0, "redirect");
        asm.Mov(R9, R0);                                   // r9 = the backend's flow
        asm.LoadWord(R1, R9, FlowLayout.Idle);
        asm.IfEqual(R1, 0, "mark_busy");
        asm.LoadMap(R1, drainsMapFd);                      // between transactions: is the backend draining?
        asm.Mov(R2, Fp);
        asm.AddImm(R2, -16);
        asm.Call(MapLookupElem);
        asm.IfEqual(R0, 0, "mark_busy");
        asm.MovImm(R0, SkDrop);
        asm.Exit();
        asm.Label("mark_busy");
        asm.StoreWordImm(R9, FlowLayout.Idle, 0);
        asm.Goto("redirect");

        // From the backend: idle when the chunk ends with 'Z' 00 00 00 05 'I'.
        asm.Label("from_backend");
        asm.MovImm(R9, 0);
        asm.IfBelow(R8, 6, "store_idle");
        asm.Mov(R1, R6);
        asm.Mov(R2, R8);
        asm.AddImm(R2, -6);
        asm.Mov(R3, Fp);
        asm.AddImm(R3, -24);
        asm.MovImm(R4, 6);
        asm.Call(SkbLoadBytes);                            // fp[-24..-19] = the chunk's last 6 bytes
        asm.IfNotEqual(R0, 0, "store_idle");
        asm.LoadWord(R1, Fp, -24);
        asm.IfNotEqual(R1, 0x0000005A, "store_idle");      // 'Z' 00 00 00, little-endian
        asm.LoadHalf(R1, Fp, -20);
        asm.IfNotEqual(R1, 0x4905, "store_idle");          // 05 'I'
        asm.MovImm(R9, 1);
        asm.Label("store_idle");
        asm.StoreWord(R7, FlowLayout.Idle, R9);

        asm.Label("redirect");
        asm.Mov(R1, R6);
        asm.LoadMap(R2, socketsMapFd);
        asm.Mov(R3, Fp);
        asm.AddImm(R3, -8);
        asm.MovImm(R4, 0);                                 // egress: send out of the peer socket
        asm.Call(SkRedirectHash);
        asm.Exit();
        return asm.Build();
    }

    /// <summary>offsetof(struct __sk_buff, len).</summary>
    private const short SkbLength = 0;
}

/// <summary>One value of the relay's flows map, per relayed socket (key: the socket's cookie).</summary>
internal static class FlowLayout
{
    public const int Size = 24;

    /// <summary>u64: bytes this socket received and the relay sent on.</summary>
    public const short Bytes = 0;

    /// <summary>u64: the cookie of the socket at the other end of the relay.</summary>
    public const short Peer = 8;

    /// <summary>u32, kept on the backend's flow: 1 while the session is between transactions.</summary>
    public const short Idle = 16;

    /// <summary>u32: 1 for the backend's socket, 0 for the client's.</summary>
    public const short FromBackend = 20;
}
