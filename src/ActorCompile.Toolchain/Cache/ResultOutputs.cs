using System.Text;
using ActorCompile.Toolchain.Arguments;
using ActorCompile.Toolchain.Dependencies;

namespace ActorCompile.Toolchain.Cache;

/// <summary>
/// The files of a cached result by what they are, not where one command wrote them: the key leaves the
/// output paths out (<see cref="ResultKey"/>), so a result kept for "-o a.o -MD" serves "-o sub/b.o -MD" too.
/// A result is kept under the names <see cref="Object"/> and <see cref="DependencyList"/>, and a command
/// that uses it gets them back under its own paths, its dependency list's default target renamed.
/// </summary>
public static class ResultOutputs
{
    public const string Object = "object";
    public const string DependencyList = "dependencies";

    /// <summary>A command's outputs under their kept names, or null when one of them is not the command's object or dependency file.</summary>
    public static List<KeyValuePair<string, byte[]>>? ToKept(CompileCommand command, IEnumerable<KeyValuePair<string, byte[]>> outputs)
    {
        var kept = new List<KeyValuePair<string, byte[]>>();
        foreach (var (path, data) in outputs)
        {
            if (path == command.Output) kept.Add(new(Object, data));
            else if (command.Dependencies is { } d && path == d.File) kept.Add(new(DependencyList, data));
            else return null;
        }
        return kept;
    }

    /// <summary>
    /// A kept result's files under this command's paths: the object, and the dependency list when the command
    /// asks for one, each exactly once (null otherwise: the result does not stand for this command). Where the
    /// dependency list's target is the output (<see cref="CompileCommand.DependencyTargetIsOutput"/>) it is
    /// renamed to this command's output and wrapped again as the compiler of <paramref name="style"/> writes it.
    /// </summary>
    public static List<KeyValuePair<string, byte[]>>? ForCommand(CompileCommand command, IEnumerable<KeyValuePair<string, byte[]>> kept, DependencyStyle style)
    {
        byte[]? obj = null, deps = null;
        foreach (var (name, data) in kept)
        {
            if (name == Object && obj is null) obj = data;
            else if (name == DependencyList && deps is null && command.Dependencies is not null) deps = data;
            else return null;
        }
        if (obj is null || command.Output is null || (command.Dependencies is not null) != (deps is not null)) return null;
        var result = new List<KeyValuePair<string, byte[]>> { new(command.Output, obj) };
        if (command.Dependencies is { } d)
        {
            if (command.DependencyTargetIsOutput)
                deps = Encoding.UTF8.GetBytes(MakeDependencies.Retarget(Encoding.UTF8.GetString(deps!), command.Output, style));
            result.Add(new(d.File, deps!));
        }
        return result;
    }
}
