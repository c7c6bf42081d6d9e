namespace OdooAspire.ReplicaRouter.Relay;

/// <summary>
/// Writes eBPF instructions (linux/bpf_common.h, linux/bpf.h encodings) with named jump targets, so the relay's
/// programs read as assembly in <see cref="RelayPrograms"/> instead of as opaque bytes. Only what they use.
/// </summary>
internal sealed class BpfAssembler
{
    // Instruction classes, sizes, modes, operations (the low byte of an instruction).
    private const byte Ld = 0x00, Ldx = 0x01, St = 0x02, Stx = 0x03, Jmp = 0x05, Alu64 = 0x07;
    private const byte W = 0x00, H = 0x08, Dw = 0x18;
    private const byte Imm = 0x00, Mem = 0x60, Atomic = 0xc0;
    private const byte AddOp = 0x00, MovOp = 0xb0, K = 0x00, X = 0x08;
    private const byte Ja = 0x00, Jeq = 0x10, Jne = 0x50, Jlt = 0xa0, CallOp = 0x80, ExitOp = 0x90;
    private const byte PseudoMapFd = 1;

    private readonly List<ulong> _code = [];
    private readonly Dictionary<string, int> _labels = [];
    private readonly List<(int At, string Label)> _jumps = [];

    public void Label(string name) => _labels.Add(name, _code.Count);

    public void Mov(byte dst, byte src) => Emit(Alu64 | MovOp | X, dst, src, 0, 0);

    public void MovImm(byte dst, int imm) => Emit(Alu64 | MovOp | K, dst, 0, 0, imm);

    public void AddImm(byte dst, int imm) => Emit(Alu64 | AddOp | K, dst, 0, 0, imm);

    /// <summary><paramref name="dst"/> = the map behind <paramref name="mapFd"/> (a two-slot load the kernel resolves).</summary>
    public void LoadMap(byte dst, int mapFd)
    {
        Emit(Ld | Dw | Imm, dst, PseudoMapFd, 0, mapFd);
        Emit(0, 0, 0, 0, 0);
    }

    public void LoadWord(byte dst, byte src, short offset) => Emit(Ldx | W | Mem, dst, src, offset, 0);

    public void LoadHalf(byte dst, byte src, short offset) => Emit(Ldx | H | Mem, dst, src, offset, 0);

    public void LoadDouble(byte dst, byte src, short offset) => Emit(Ldx | Dw | Mem, dst, src, offset, 0);

    public void StoreWord(byte dst, short offset, byte src) => Emit(Stx | W | Mem, dst, src, offset, 0);

    public void StoreWordImm(byte dst, short offset, int imm) => Emit(St | W | Mem, dst, 0, offset, imm);

    public void StoreDouble(byte dst, short offset, byte src) => Emit(Stx | Dw | Mem, dst, src, offset, 0);

    /// <summary>*(u64*)(dst + offset) += src, atomically.</summary>
    public void AtomicAddDouble(byte dst, short offset, byte src) => Emit(Stx | Dw | Atomic, dst, src, offset, AddOp);

    public void Goto(string label) => Jump(Jmp | Ja, 0, 0, label);

    public void IfEqual(byte dst, int imm, string label) => Jump(Jmp | Jeq | K, dst, imm, label);

    public void IfNotEqual(byte dst, int imm, string label) => Jump(Jmp | Jne | K, dst, imm, label);

    public void IfBelow(byte dst, int imm, string label) => Jump(Jmp | Jlt | K, dst, imm, label);

    public void Call(int helper) => Emit(Jmp | CallOp, 0, 0, 0, helper);

    public void Exit() => Emit(Jmp | ExitOp, 0, 0, 0, 0);

    /// <summary>The program, jumps resolved.</summary>
    public ulong[] Build()
    {
        var code = _code.ToArray();
        foreach (var (at, label) in _jumps)
        {
            var offset = _labels.TryGetValue(label, out var target) ? target - at - 1 : throw new InvalidOperationException($"label {label} is not defined");
            code[at] = Encode((byte)code[at], (byte)(code[at] >> 8), (short)offset, (int)(code[at] >> 32));
        }

        return code;
    }

    private void Jump(int code, byte dst, int imm, string label)
    {
        _jumps.Add((_code.Count, label));
        Emit(code, dst, 0, 0, imm);
    }

    private void Emit(int code, byte dst, byte src, short offset, int imm) => _code.Add(Encode((byte)code, (byte)(dst | (src << 4)), offset, imm));

    private static ulong Encode(byte code, byte registers, short offset, int imm) =>
        code | ((ulong)registers << 8) | ((ulong)(ushort)offset << 16) | ((ulong)(uint)imm << 32);
}
