using ActorCompile.Tests;
using ActorCompile.Worker.Toolchains;
using Xunit;

namespace ActorCompile.Worker.Tests;

/// <summary>Which shipped toolchains a helper says it runs: only what its kernel really runs, and only sealed.</summary>
public sealed class ShippingPolicyTests : IDisposable
{
    private readonly TempDirectory _dir = new("ac-shipping");

    public void Dispose() => _dir.Dispose();

    /// <summary>
    /// Whether this kernel starts an i386 program, asked independently of the probe: a program gcc builds for
    /// i386 (freestanding, so no 32-bit libraries are needed), started directly.
    /// </summary>
    private bool KernelRunsI386()
    {
        var source = _dir.Combine("exit.c");
        File.WriteAllText(source, "void _start(void) { __asm__ volatile (\"mov $1, %eax\\n xor %ebx, %ebx\\n int $0x80\"); }\n");
        var program = _dir.Combine("exit32");
        var built = Run.Program("gcc", new[] { "-m32", "-nostdlib", "-static", "-ffreestanding", "-fno-pie", "-no-pie", source, "-o", program });
        Assert.True(built.ExitCode == 0, built.Stderr);
        return SealedJobs.KernelRunsI386(program);
    }

    [Fact]
    public void A_helper_offers_i386_toolchains_exactly_when_its_kernel_runs_i386_programs_and_leaves_no_probe_behind()
    {
        var scratch = _dir.Combine("scratch");
        Directory.CreateDirectory(scratch);
        var policy = ShippingPolicy.Decide(true, SealedJobs.Sandbox, scratch);
        Assert.Contains("x86_64", policy.Architectures);
        bool runs = KernelRunsI386();
        Assert.Equal(runs, policy.Architectures.Contains("i386"));
        Assert.Equal(runs ? "on (x86_64, i386)" : "on (x86_64; not i386: the kernel does not run 32-bit programs)", policy.Description);
        Assert.Empty(Directory.GetFileSystemEntries(scratch));
    }

    [Fact]
    public void A_helper_without_a_sandbox_or_with_shipping_off_takes_no_shipped_toolchain()
    {
        Assert.Empty(ShippingPolicy.Decide(false, SealedJobs.Sandbox, _dir.Path).Architectures);
        var unsealed = ShippingPolicy.Decide(true, SealedJobs.Unsandboxed, _dir.Path);
        Assert.Empty(unsealed.Architectures);
        Assert.StartsWith("unavailable: a shipped toolchain runs only in the sandbox", unsealed.Description);
    }

    [Fact]
    public void The_probe_is_an_i386_executable_that_loads_one_segment_and_enters_its_code()
    {
        var elf = I386Probe.Program();
        Assert.Equal(new byte[] { 0x7F, (byte)'E', (byte)'L', (byte)'F', 1, 1, 1 }, elf[..7]);
        Assert.Equal(3, BitConverter.ToUInt16(elf, 18));                 // EM_386
        Assert.Equal(0x0804_8000u + 84, BitConverter.ToUInt32(elf, 24)); // the entry is the code after the headers
        Assert.Equal((uint)elf.Length, BitConverter.ToUInt32(elf, 52 + 16));
        Assert.Equal(new byte[] { 0xB8, 1, 0, 0, 0, 0x31, 0xDB, 0xCD, 0x80 }, elf[84..]); // exit(0) by int 0x80
    }
}
