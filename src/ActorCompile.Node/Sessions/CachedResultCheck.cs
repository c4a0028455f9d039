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

/// <summary>What a session does with the result cache's answer.</summary>
public abstract record CacheAnswerUse
{
    /// <summary>No usable result: the job compiles. <paramref name="Why"/> says why a result was there and not used (null: none was).</summary>
    /// <param name="Unexpected">The result was unusable in a way that should not happen (logged as a warning).</param>
    public sealed record Compile(string? Why, bool Unexpected) : CacheAnswerUse;
    /// <summary>The hit is checked by a local compile (verify-rate): these are its files under this command's paths.</summary>
    public sealed record Verify(CachedResult Hit, List<KeyValuePair<string, byte[]>> Outputs, string? Accountable, string? Owner) : CacheAnswerUse;
    /// <summary>The hit is the answer: these files under this command's paths, and how many bytes they are.</summary>
    public sealed record Serve(CachedResult Hit, List<KeyValuePair<string, byte[]>> Outputs, long Bytes) : CacheAnswerUse;
}

/// <summary>
/// Whether a cached result answers this command: it must hold this command's outputs (the key leaves paths
/// out, so its files are put under this command's), and a share of hits (verify-rate) is compiled locally
/// instead to compare.
/// </summary>
public static class CacheHitPolicy
{
    /// <param name="style">How the toolchain writes dependency files.</param>
    /// <param name="draw">A uniform draw in [0, 1): the hit is verified when it falls below <paramref name="verifyRate"/>.</param>
    public static CacheAnswerUse Use(CacheFound found, ActorCompile.Toolchain.Arguments.CompileCommand command,
        ActorCompile.Toolchain.Dependencies.DependencyStyle style, double verifyRate, double draw)
    {
        if (found.Result is not { } hit) return new CacheAnswerUse.Compile(found.Distrusted, Unexpected: false);
        if (ActorCompile.Toolchain.Cache.ResultOutputs.ForCommand(command, found.Files!, style) is not { } outputs)
            return new CacheAnswerUse.Compile("it does not hold this command's outputs", Unexpected: true);
        if (verifyRate > 0 && draw < verifyRate) return new CacheAnswerUse.Verify(hit, outputs, found.Accountable, found.Owner);
        return new CacheAnswerUse.Serve(hit, outputs, outputs.Sum(o => (long)o.Value.Length));
    }
}
