namespace OdooAspire.Tests.Infrastructure;

/// <summary>Files of this repository that tests run as shipped (the AppHost's scripts).</summary>
public static class RepositoryFiles
{
    public static string Path(params string[] parts)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "OdooAspire.sln")))
            {
                return System.IO.Path.Combine([dir.FullName, .. parts]);
            }
        }

        throw new InvalidOperationException($"no OdooAspire.sln above {AppContext.BaseDirectory}");
    }
}
