using ActorCompile.Coordinator;
using ActorCompile.LocalProtocol;

namespace ActorCompile.Node.Sessions;

/// <summary>
/// distcc's rule, checked: a compiler error from a helper is confirmed by a local compile of the same
/// command. When the two disagree (another exit code, other diagnostics), the worker's answer was wrong.
/// </summary>
public static class RemoteVerdictCheck
{
    /// <summary>How the local compile disagrees with the worker's verdict, or null when it agrees.</summary>
    public static string? Difference(RemoteVerdict remote, LocalDone done) =>
        done.ExitCode != remote.ExitCode ? $"the worker's compiler exited with {remote.ExitCode}, the local one with {done.ExitCode}"
        : done.StderrHash is not null && done.StderrHash != remote.StderrHash ? "the worker's compiler printed other diagnostics than the local one"
        : null;
}
