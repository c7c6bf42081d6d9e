namespace OdooAspire.AppHost.Runtime;

/// <summary>The shell scripts shipped with the AppHost (scripts/), which run or bootstrap the servers.</summary>
public static class Scripts
{
    public static string ScriptPath(this IDistributedApplicationBuilder builder, params string[] parts) =>
        Path.Combine([builder.AppHostDirectory, "scripts", .. parts]);
}
