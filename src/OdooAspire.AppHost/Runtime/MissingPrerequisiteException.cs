namespace OdooAspire.AppHost.Runtime;

/// <summary>
/// Something this machine lacks for the chosen runtime. Its message is the one line the AppHost prints
/// (cause and fix, e.g. "postgres binary not found …: apt-get install postgresql"), never a stack trace.
/// </summary>
public sealed class MissingPrerequisiteException(string message) : Exception(message);
