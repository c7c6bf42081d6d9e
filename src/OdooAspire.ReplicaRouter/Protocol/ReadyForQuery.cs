namespace OdooAspire.ReplicaRouter.Protocol;

/// <summary>ReadyForQuery ('Z'), the backend's last message of every answer, with the session's transaction status.</summary>
public static class ReadyForQuery
{
    /// <summary>Whether a chunk from the backend ends with ReadyForQuery status 'I': the session is between transactions.</summary>
    public static bool EndsIdle(ReadOnlySpan<byte> chunk) =>
        chunk.Length >= 6 && chunk[^1] == (byte)'I' && chunk[^6..^1].SequenceEqual("Z\0\0\0\u0005"u8);
}
