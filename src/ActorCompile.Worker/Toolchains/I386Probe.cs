using System.Buffers.Binary;
using System.Diagnostics;

namespace ActorCompile.Worker.Toolchains;

/// <summary>
/// Whether this kernel runs 32-bit x86 programs: a 93-byte static i386 program that only exits with 0 (an
/// ELF header, one loadable segment, and <c>mov eax, 1; xor ebx, ebx; int 0x80</c>) is written, run and
/// removed. Built here field by field rather than carried as an opaque blob, so that what runs is read.
/// </summary>
public static class I386Probe
{
    private const uint Base = 0x0804_8000;
    private const int HeaderBytes = 52, SegmentHeaderBytes = 32;
    private static readonly byte[] Code = { 0xB8, 0x01, 0x00, 0x00, 0x00, 0x31, 0xDB, 0xCD, 0x80 };

    /// <summary>The program's bytes.</summary>
    public static byte[] Program()
    {
        int size = HeaderBytes + SegmentHeaderBytes + Code.Length;
        var b = new byte[size];
        var s = b.AsSpan();
        "\x7F"u8.CopyTo(s); "ELF"u8.CopyTo(s[1..]);
        b[4] = 1; // 32-bit
        b[5] = 1; // little-endian
        b[6] = 1; // ELF version 1
        BinaryPrimitives.WriteUInt16LittleEndian(s[16..], 2);                                  // e_type: executable
        BinaryPrimitives.WriteUInt16LittleEndian(s[18..], 3);                                  // e_machine: i386
        BinaryPrimitives.WriteUInt32LittleEndian(s[20..], 1);                                  // e_version
        BinaryPrimitives.WriteUInt32LittleEndian(s[24..], Base + HeaderBytes + SegmentHeaderBytes); // e_entry: the code
        BinaryPrimitives.WriteUInt32LittleEndian(s[28..], HeaderBytes);                        // e_phoff
        BinaryPrimitives.WriteUInt16LittleEndian(s[40..], HeaderBytes);                        // e_ehsize
        BinaryPrimitives.WriteUInt16LittleEndian(s[42..], SegmentHeaderBytes);                 // e_phentsize
        BinaryPrimitives.WriteUInt16LittleEndian(s[44..], 1);                                  // e_phnum
        var ph = s[HeaderBytes..];
        BinaryPrimitives.WriteUInt32LittleEndian(ph, 1);                                       // p_type: load
        BinaryPrimitives.WriteUInt32LittleEndian(ph[8..], Base);                               // p_vaddr
        BinaryPrimitives.WriteUInt32LittleEndian(ph[12..], Base);                              // p_paddr
        BinaryPrimitives.WriteUInt32LittleEndian(ph[16..], (uint)size);                        // p_filesz
        BinaryPrimitives.WriteUInt32LittleEndian(ph[20..], (uint)size);                        // p_memsz
        BinaryPrimitives.WriteUInt32LittleEndian(ph[24..], 5);                                 // p_flags: read, execute
        BinaryPrimitives.WriteUInt32LittleEndian(ph[28..], 0x1000);                            // p_align
        Code.CopyTo(s[(HeaderBytes + SegmentHeaderBytes)..]);
        return b;
    }

    /// <summary>
    /// Starts the probe. ETXTBSY is retried: a process forked by another thread while the probe was being
    /// written holds it open for writing until that child's own exec, for a moment.
    /// </summary>
    private static Process Start(string path)
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                return Process.Start(new ProcessStartInfo(path) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true })!;
            }
            catch (System.ComponentModel.Win32Exception e) when (e.NativeErrorCode == 26 && attempt < 20) // ETXTBSY
            {
                Thread.Sleep(10 * attempt);
            }
        }
    }

    /// <summary>Null when the kernel ran the program and it exited with 0; otherwise why not.</summary>
    /// <param name="directory">Where the program is written (a directory of this process's user only).</param>
    public static string? Runs(string directory)
    {
        var path = Path.Combine(directory, $".i386-probe-{Environment.ProcessId}-{Random.Shared.NextInt64():x}");
        try
        {
            File.WriteAllBytes(path, Program());
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserExecute);
            using var p = Start(path);
            if (!p.WaitForExit(10_000))
            {
                p.Kill();
                return "the probe did not end";
            }
            return p.ExitCode == 0 ? null : $"the probe exited with {p.ExitCode}";
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return e.NativeErrorCode == 8 ? "the kernel does not run 32-bit programs" : $"the probe could not run: {e.Message}";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"the probe could not be written: {e.Message}";
        }
        finally
        {
            try { File.Delete(path); } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
    }
}
