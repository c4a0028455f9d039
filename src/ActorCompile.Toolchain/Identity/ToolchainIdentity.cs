namespace ActorCompile.Toolchain.Identity;

/// <summary>
/// What decides the code a compiler generates, reduced to a fingerprint. Two compilers with the same
/// fingerprint produce the same objects from the same inputs; a job only ever runs on a worker whose
/// toolchain has the job's fingerprint.
/// </summary>
/// <param name="Fingerprint">SHA-256 (hex) over everything below and the content of the driver, compiler proper and assembler.</param>
/// <param name="Family">"gcc" or "clang".</param>
/// <param name="Version">The full version (12.2.0).</param>
/// <param name="Target">The target triple (-dumpmachine).</param>
/// <param name="DriverLanguage">"c" or "c++": the language the driver assumes (gcc or g++, clang or clang++).</param>
public sealed record ToolchainIdentity(string Fingerprint, string Family, string Version, string Target, string DriverLanguage)
{
    public string ShortFingerprint => Fingerprint.Length >= 12 ? Fingerprint[..12] : Fingerprint;

    /// <summary>The usual name of this driver: gcc, g++, clang or clang++.</summary>
    public string DriverName => (Family, DriverLanguage) switch
    {
        ("gcc", "c++") => "g++",
        ("clang", "c++") => "clang++",
        _ => Family,
    };

    /// <summary>The machine its objects are for, as a helper names what it can run: x86_64, i386 (any i?86), or the triple's first part.</summary>
    public string Architecture => ArchitectureOf(Target);

    public static string ArchitectureOf(string targetTriple)
    {
        var parts = targetTriple.Split('-');
        var cpu = parts[0];
        if (cpu is "i386" or "i486" or "i586" or "i686") return "i386";
        // The x32 ABI runs x86_64 code with 32-bit pointers: a kernel of its own kind, not assumed.
        if (cpu == "x86_64" && parts[^1].EndsWith("x32", StringComparison.Ordinal)) return "x32";
        return cpu;
    }

    /// <summary>For people: "gcc 12.2.0 (x86_64-linux-gnu, 3f2a9c81d0e4)".</summary>
    public override string ToString() => $"{DriverName} {Version} ({Target}, {ShortFingerprint})";
}
