namespace OdooAspire.AppHost.Runtime;

/// <summary>Finds the server binaries the process runtime runs.</summary>
public static class Executables
{
    /// <summary>The first <paramref name="name"/> on PATH, or null.</summary>
    public static string? Find(string name) => FindIn(PathDirectories(), name);

    public static string? FindIn(IEnumerable<string> directories, string name) =>
        directories
            .Select(directory => Path.Combine(directory, name))
            .FirstOrDefault(IsExecutable);

    public static IEnumerable<string> PathDirectories() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);

    private static bool IsExecutable(string path) =>
        File.Exists(path)
        && (OperatingSystem.IsWindows()
            || (File.GetUnixFileMode(path) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0);
}
