using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;

namespace ActorCompile.Toolchain.Jobs;

/// <summary>
/// How every content is named across the project: the SHA-256 of its bytes as 64 lowercase hex digits
/// (mirror entries, blobs, shipped toolchain files, stderr verdicts, cached outputs). One place for the
/// hash, its text and the check of a name that came from elsewhere.
/// </summary>
public static class ContentHash
{
    public const int Length = 64;

    public static string Of(ReadOnlySpan<byte> content) => Convert.ToHexStringLower(SHA256.HashData(content));

    /// <summary>The hash of a stream's remaining bytes (read to its end).</summary>
    public static string Of(Stream content) => Convert.ToHexStringLower(SHA256.HashData(content));

    public static async Task<string> OfAsync(Stream content, CancellationToken cancellationToken = default) =>
        Convert.ToHexStringLower(await SHA256.HashDataAsync(content, cancellationToken));

    /// <summary>Whether a name from elsewhere (a message, a manifest, a file name) is a content hash at all.</summary>
    public static bool IsValid([NotNullWhen(true)] string? hash) => hash is { Length: Length } && hash.All(c => c is >= '0' and <= '9' or >= 'a' and <= 'f');

    /// <summary>Whether <paramref name="content"/> is what <paramref name="hash"/> names (false for a name that is no hash).</summary>
    public static bool Matches(ReadOnlySpan<byte> content, [NotNullWhen(true)] string? hash) => IsValid(hash) && Of(content) == hash;
}
