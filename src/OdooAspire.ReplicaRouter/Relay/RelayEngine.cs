using Microsoft.Extensions.Options;

namespace OdooAspire.ReplicaRouter.Relay;

/// <summary>Decides once, at start, where sessions are relayed (<see cref="ReplicaRouterOptions.Relay"/>) and holds the kernel relay.</summary>
public sealed partial class RelayEngine : IDisposable
{
    public RelayEngine(IOptions<ReplicaRouterOptions> options, ILogger<RelayEngine> logger)
    {
        var mode = options.Value.Relay;
        if (mode == RelayMode.UserSpace)
        {
            Unavailable = $"{ReplicaRouterOptions.SectionName}:Relay=UserSpace";
            LogUserSpace(logger, Unavailable);
            return;
        }

        Kernel = KernelRelay.TryCreate(options.Value.MaxClients, out var failure);
        if (Kernel is null)
        {
            if (mode == RelayMode.Kernel)
            {
                throw new InvalidOperationException(
                    $"{ReplicaRouterOptions.SectionName}:Relay=Kernel, but the kernel relay is not available: {failure}. " +
                    $"Set {ReplicaRouterOptions.SectionName}:Relay=Auto to relay in user space instead");
            }

            Unavailable = failure;
            LogUserSpace(logger, failure!);
            return;
        }

        LogKernel(logger);
    }

    /// <summary>The kernel relay, or null when sessions are relayed in user space.</summary>
    public KernelRelay? Kernel { get; }

    /// <summary>Where sessions are relayed: <see cref="RelayMode.Kernel"/> or <see cref="RelayMode.UserSpace"/>.</summary>
    public RelayMode Mode => Kernel is null ? RelayMode.UserSpace : RelayMode.Kernel;

    /// <summary>Why sessions are relayed in user space; null when the kernel relays them.</summary>
    public string? Unavailable { get; }

    public void Dispose() => Kernel?.Dispose();

    [LoggerMessage(Level = LogLevel.Information, Message = "Sessions are relayed in the kernel (BPF socket map) after their startup phase")]
    private static partial void LogKernel(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "Sessions are relayed in user space: {Reason}")]
    private static partial void LogUserSpace(ILogger logger, string reason);
}
