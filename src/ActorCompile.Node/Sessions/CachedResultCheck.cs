using System.Security.Cryptography;
using ActorCompile.LocalProtocol;
using ActorCompile.Node.Cache;
using ActorCompile.Protocol;
using ActorCompile.Protocol.Messages;

namespace ActorCompile.Node.Sessions;

/// <summary>Whether a local compile that verifies a cache hit (verify-rate) wrote and printed what the cached result holds.</summary>
public static class CachedResultCheck
{
    /// <summary>How they differ, or null when they agree.</summary>
    public static string? Difference(CachedResult cached, LocalDone done)
    {
        static string Hash(byte[] data) => Convert.ToHexStringLower(SHA256.HashData(data));
        List<KeyValuePair<string, string>> expected;
        try
        {
            expected = cached.Outputs.Select(o => new KeyValuePair<string, string>(o.Path, Hash(Payload.Decompress(o.Compressed, o.Length))))
                .OrderBy(p => p.Key, StringComparer.Ordinal).ToList();
        }
        catch (InvalidDataException)
        {
            expected = new(); // a result that does not decompress differs from any compile
        }
        var got = (done.OutputHashes ?? Array.Empty<KeyValuePair<string, string>>()).OrderBy(p => p.Key, StringComparer.Ordinal).ToList();
        return done.ExitCode != 0 ? $"the cached result succeeded, the local compile exited with {done.ExitCode}"
            : !expected.SequenceEqual(got) ? "the local compile wrote other bytes than the cached result"
            : done.StderrHash is not null && done.StderrHash != Hash(cached.Stderr) ? "the local compile printed other diagnostics than the cached result"
            : null;
    }
}
