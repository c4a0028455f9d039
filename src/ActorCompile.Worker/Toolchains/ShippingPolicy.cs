using System.Runtime.InteropServices;
using ActorCompile.Protocol.Messages;
using ActorCompile.Toolchain.Identity;
using ActorCompile.Worker.Execution;

namespace ActorCompile.Worker.Toolchains;

/// <summary>
/// Whether this worker runs toolchains its targets ship (actorcompile.worker.shipped-toolchains), and for
/// which architectures: x86_64 on an x86_64 machine, and i386 too where the kernel runs 32-bit programs.
/// A shipped toolchain runs only sealed, so a worker without a working sandbox takes none.
/// </summary>
public sealed class ShippingPolicy
{
    /// <summary>The architectures of the toolchains this worker runs when shipped; empty when it runs none.</summary>
    public IReadOnlyList<string> Architectures { get; }

    /// <summary>For the log and status: "on (x86_64, i386)", "off (...)", or "unavailable: why".</summary>
    public string Description { get; }

    private ShippingPolicy(IReadOnlyList<string> architectures, string description)
    {
        Architectures = architectures;
        Description = description;
    }

    /// <param name="scratch">A directory of this worker's own where the i386 probe may be written and run.</param>
    public static ShippingPolicy Decide(bool enabled, JobConfinement confinement, string scratch)
    {
        if (!enabled) return new(Array.Empty<string>(), "off (actorcompile.worker.shipped-toolchains = off)");
        if (!confinement.Sandboxed)
            return new(Array.Empty<string>(), $"unavailable: a shipped toolchain runs only in the sandbox, and compiles here are {confinement.Description}");
        if (RuntimeInformation.OSArchitecture != Architecture.X64)
            return new(Array.Empty<string>(), $"unavailable: this helper is {RuntimeInformation.OSArchitecture}; shipped toolchains run on x86_64 helpers");
        // Whether the kernel runs 32-bit x86 programs is asked of the kernel itself: /proc/sys/abi/vsyscall32
        // exists also where IA32 emulation is built in but off (ia32_emulation=0, some VMs' kernels), and a
        // helper that offered i386 there would fail every job of a Pentium's shipped toolchain.
        if (I386Probe.Runs(scratch) is { } why)
            return new(new[] { "x86_64" }, $"on (x86_64; not i386: {why})");
        return new(new[] { "x86_64", "i386" }, "on (x86_64, i386)");
    }

    /// <summary>Why a shipped toolchain will not run here, or null when it will.</summary>
    public string? Refusal(ShippedToolchain toolchain, string jobFingerprint)
    {
        if (Architectures.Count == 0) return $"this worker takes no shipped toolchain ({Description})";
        if (toolchain.Fingerprint != jobFingerprint) return "the shipped toolchain is not the one the job names";
        var architecture = ToolchainIdentity.ArchitectureOf(toolchain.Target);
        if (!Architectures.Contains(architecture))
            return $"a toolchain for {architecture} ({toolchain.Target}) does not run on this {string.Join("/", Architectures)} helper";
        // Only what costs nothing is judged here, on the worker's thread: the manifest itself is checked
        // (and its id computed) by the job's runner, off it, when it reserves the toolchain in the store.
        return null;
    }
}
