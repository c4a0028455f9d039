using ActorCompile.LocalProtocol;
using ActorCompile.Toolchain.Identity;

namespace ActorCompile.Node.Sessions;

/// <summary>What a wrapper's word about its compiler must be before the node learns it (for that user only).</summary>
public static class ToolchainInfoCheck
{
    /// <summary>Longest family, version, target or driver language a wrapper may name.</summary>
    public const int MaximumText = 1024;

    /// <summary>The identity the wrapper reported, or why it is refused.</summary>
    public static (ToolchainIdentity? Identity, string? Problem) Read(ToolchainInfo info)
    {
        if (info.Fingerprint.Length != 64 || !info.Fingerprint.All(char.IsAsciiHexDigitLower))
            return (null, "the toolchain fingerprint must be 64 lowercase hexadecimal digits");
        if (new[] { info.Family, info.Version, info.Target, info.DriverLanguage }.Any(t => t.Length > MaximumText))
            return (null, $"a toolchain's family, version, target and language are at most {MaximumText} characters each");
        return (new ToolchainIdentity(info.Fingerprint, info.Family, info.Version, info.Target, info.DriverLanguage), null);
    }
}
