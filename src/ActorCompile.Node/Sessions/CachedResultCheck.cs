using ActorCompile.LocalProtocol;
using ActorCompile.Node.Cache;
using ActorCompile.Protocol;
using ActorCompile.Protocol.Messages;
using ActorCompile.Toolchain.Jobs;

namespace ActorCompile.Node.Sessions;

/// <summary>Whether a local compile that verifies a cache hit (verify-rate) wrote and printed what the cached result holds.</summary>
public static class CachedResultCheck
{
    /// <summary>How they differ, or null when they agree.</summary>
    /// <param name="outputs">The cached result's files under this command's paths (<see cref="ActorCompile.Toolchain.Cache.ResultOutputs.ForCommand"/>).</param>
    /// <param name="stderr">What the cached compile printed on stderr.</param>
    public static string? Difference(IEnumerable<KeyValuePair<string, byte[]>> outputs, byte[] stderr, LocalDone done)
    {
        static string Hash(byte[] data) => ContentHash.Of(data);
        var expected = outputs.Select(o => new KeyValuePair<string, string>(o.Key, Hash(o.Value))).OrderBy(p => p.Key, StringComparer.Ordinal).ToList();
        var got = (done.OutputHashes ?? Array.Empty<KeyValuePair<string, string>>()).OrderBy(p => p.Key, StringComparer.Ordinal).ToList();
        return done.ExitCode != 0 ? $"the cached result succeeded, the local compile exited with {done.ExitCode}"
            : !expected.SequenceEqual(got) ? "the local compile wrote other bytes than the cached result"
            : done.StderrHash is not null && done.StderrHash != Hash(stderr) ? "the local compile printed other diagnostics than the cached result"
            : null;
    }
}
