using ActorCompile.Toolchain.Processes;
using Xunit;

namespace ActorCompile.Toolchain.Tests;

public sealed class TerminalTextTests
{
    [Fact]
    public void Escape_sequences_and_other_control_characters_from_another_machine_are_not_printed()
    {
        var reason = "the compiler was killed\u001b[2K\u001b]0;owned\u0007\r\nby signal 9\u009b";
        var printed = TerminalText.Printable(reason);
        Assert.DoesNotContain(printed, char.IsControl);
        Assert.Equal("the compiler was killed?[2K?]0;owned???by signal 9?", printed);
        // Text without them is the same string, and text in any script stays as it was.
        const string plain = "worker 127.0.0.1:7421 refused: ü € 😀";
        Assert.Same(plain, TerminalText.Printable(plain));
    }
}
