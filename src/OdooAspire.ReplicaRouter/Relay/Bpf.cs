using System.Runtime.InteropServices;

namespace OdooAspire.ReplicaRouter.Relay;

/// <summary>
/// The few bpf(2) commands the kernel relay needs, called directly (no libbpf): create a map, update, look up and
/// delete an element, load a program, attach it to a map. Field offsets are those of <c>union bpf_attr</c> in
/// <c>linux/bpf.h</c>; the kernel accepts a shorter attribute block as long as it covers the fields a command reads.
/// </summary>
internal static unsafe partial class Bpf
{
    public const int MapTypeHash = 1;
    public const int MapTypeSockHash = 18;
    public const int ProgTypeSkSkb = 14;
    public const int AttachSkSkbStreamParser = 4;
    public const int AttachSkSkbStreamVerdict = 5;

    private const int CmdMapCreate = 0;
    private const int CmdMapLookupElem = 1;
    private const int CmdMapUpdateElem = 2;
    private const int CmdMapDeleteElem = 3;
    private const int CmdMapGetNextKey = 4;
    private const int CmdProgLoad = 5;
    private const int CmdProgAttach = 8;
    private const int CmdMapLookupAndDeleteElem = 21;
    private const int AttrSize = 128;
    private const int Enoent = 2;

    /// <summary>The bpf syscall number on the architectures the relay supports; null elsewhere.</summary>
    public static long? SyscallNumber => RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 => 321,
        Architecture.Arm64 => 280,
        _ => null,
    };

    public static int CreateMap(int type, int keySize, int valueSize, int maxEntries, string name)
    {
        var attr = stackalloc byte[AttrSize];
        new Span<byte>(attr, AttrSize).Clear();
        *(uint*)attr = (uint)type;
        *(uint*)(attr + 4) = (uint)keySize;
        *(uint*)(attr + 8) = (uint)valueSize;
        *(uint*)(attr + 12) = (uint)maxEntries;
        WriteName(attr + 28, name);
        return (int)Call(CmdMapCreate, attr, $"creating the {name} map");
    }

    /// <summary>Loads a program; on failure the message carries the verifier's log.</summary>
    public static int LoadProgram(int type, ReadOnlySpan<ulong> instructions, string name)
    {
        var log = new byte[16 * 1024];
        var attr = stackalloc byte[AttrSize];
        new Span<byte>(attr, AttrSize).Clear();
        var license = "GPL\0"u8;
        fixed (ulong* insns = instructions)
        fixed (byte* licensePtr = license)
        fixed (byte* logPtr = log)
        {
            *(uint*)attr = (uint)type;
            *(uint*)(attr + 4) = (uint)instructions.Length;
            *(ulong*)(attr + 8) = (ulong)insns;
            *(ulong*)(attr + 16) = (ulong)licensePtr;
            *(uint*)(attr + 24) = 1;
            *(uint*)(attr + 28) = (uint)log.Length;
            *(ulong*)(attr + 32) = (ulong)logPtr;
            WriteName(attr + 48, name);
            var fd = Syscall(CmdProgLoad, attr);
            if (fd < 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                var verifier = System.Text.Encoding.ASCII.GetString(log, 0, Math.Max(0, Array.IndexOf(log, (byte)0))).Trim();
                throw new BpfException($"loading the {name} program", errno, verifier.Length > 0 ? verifier : null);
            }

            return (int)fd;
        }
    }

    public static void Attach(int programFd, int targetFd, int attachType, string what)
    {
        var attr = stackalloc byte[AttrSize];
        new Span<byte>(attr, AttrSize).Clear();
        *(uint*)attr = (uint)targetFd;
        *(uint*)(attr + 4) = (uint)programFd;
        *(uint*)(attr + 8) = (uint)attachType;
        Call(CmdProgAttach, attr, what);
    }

    public static void Update(int mapFd, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, string what)
    {
        fixed (byte* k = key)
        fixed (byte* v = value)
        {
            var attr = stackalloc byte[AttrSize];
            ElementAttr(attr, mapFd, k, v);
            Call(CmdMapUpdateElem, attr, what);
        }
    }

    /// <summary>Copies an element's value into <paramref name="value"/>; false when the key is not in the map.</summary>
    public static bool Lookup(int mapFd, ReadOnlySpan<byte> key, Span<byte> value) =>
        ReadElement(CmdMapLookupElem, mapFd, key, value, "reading the relay's counters");

    /// <summary>Copies an element's value into <paramref name="value"/> and removes it, in one call; false when the key is not in the map.</summary>
    public static bool Take(int mapFd, ReadOnlySpan<byte> key, Span<byte> value) =>
        ReadElement(CmdMapLookupAndDeleteElem, mapFd, key, value, "taking the relay's last counts");

    /// <summary>How many keys a map holds (walks it with BPF_MAP_GET_NEXT_KEY; for status and tests, not a hot path).</summary>
    public static int Count(int mapFd, int keySize)
    {
        var key = stackalloc byte[keySize];
        var next = stackalloc byte[keySize];
        var attr = stackalloc byte[AttrSize];
        var count = 0;
        for (var first = true; ; first = false)
        {
            ElementAttr(attr, mapFd, first ? null : key, next);
            if (Syscall(CmdMapGetNextKey, attr) != 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                return errno == Enoent ? count : throw new BpfException("counting the relay's entries", errno, null);
            }

            count++;
            new Span<byte>(next, keySize).CopyTo(new Span<byte>(key, keySize));
        }
    }

    /// <summary>Removes an element; a key already gone is not an error.</summary>
    public static void Delete(int mapFd, ReadOnlySpan<byte> key)
    {
        fixed (byte* k = key)
        {
            var attr = stackalloc byte[AttrSize];
            ElementAttr(attr, mapFd, k, null);
            Syscall(CmdMapDeleteElem, attr);
        }
    }

    [LibraryImport("libc", EntryPoint = "close")]
    public static partial int Close(int fd);

    private static bool ReadElement(int cmd, int mapFd, ReadOnlySpan<byte> key, Span<byte> value, string what)
    {
        fixed (byte* k = key)
        fixed (byte* v = value)
        {
            var attr = stackalloc byte[AttrSize];
            ElementAttr(attr, mapFd, k, v);
            if (Syscall(cmd, attr) == 0)
            {
                return true;
            }

            var errno = Marshal.GetLastPInvokeError();
            return errno == Enoent ? false : throw new BpfException(what, errno, null);
        }
    }

    private static void ElementAttr(byte* attr, int mapFd, byte* key, byte* value)
    {
        new Span<byte>(attr, AttrSize).Clear();
        *(uint*)attr = (uint)mapFd;
        *(ulong*)(attr + 8) = (ulong)key;
        *(ulong*)(attr + 16) = (ulong)value;
    }

    private static long Call(int cmd, byte* attr, string what)
    {
        var result = Syscall(cmd, attr);
        return result >= 0 ? result : throw new BpfException(what, Marshal.GetLastPInvokeError(), null);
    }

    private static long Syscall(int cmd, byte* attr) =>
        syscall(SyscallNumber ?? throw new PlatformNotSupportedException("the kernel relay supports x64 and arm64 Linux"), cmd, attr, AttrSize);

    private static void WriteName(byte* destination, string name)
    {
        // BPF object names: at most 15 characters of [A-Za-z0-9_.], NUL-terminated.
        for (var i = 0; i < Math.Min(name.Length, 15); i++)
        {
            destination[i] = (byte)name[i];
        }
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial long syscall(long number, long cmd, void* attr, long size);
}

/// <summary>A bpf(2) call the kernel refused, with errno and, for a program, the verifier's log.</summary>
public sealed class BpfException(string what, int errno, string? verifierLog)
    : Exception($"{what}: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno}){(verifierLog is null ? "" : $"; verifier: {verifierLog}")}")
{
    public int Errno { get; } = errno;
}
