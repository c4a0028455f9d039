using System.Reflection;
using System.Text;
using ActorCompile.Protocol.Serialization;
using ActorCompile.Toolchain.Jobs;
using MemoryPack;
using Xunit;

namespace ActorCompile.Protocol.Tests;

/// <summary>
/// The messages' layout is pinned to <see cref="ActorCompileSerializer.WireVersion"/>: a change to any
/// message's members (added, removed, reordered, retyped) fails here until the version is raised, so nodes of
/// two releases with different layouts refuse each other's messages instead of misreading them.
/// </summary>
public sealed class WireSchemaTests
{
    /// <summary>The version and the SHA-256 of <see cref="Schema"/> it was pinned with.</summary>
    private const int PinnedVersion = 1;
    private const string PinnedSchema = "1f9e6ac9da4bea5f11df1fcdd93a1495c6d42ab55fcdd6b8e66858c1b7355bdc";

    [Fact]
    public void The_layout_of_every_message_is_the_one_its_wire_version_names()
    {
        var schema = Schema();
        var hash = Toolchain.Jobs.ContentHash.Of(Encoding.UTF8.GetBytes(schema));
        Assert.True(ActorCompileSerializer.WireVersion == PinnedVersion && hash == PinnedSchema,
            $"The messages' layout changed (schema {hash}, pinned {PinnedSchema} at version {PinnedVersion}): raise " +
            $"ActorCompileSerializer.WireVersion and pin the new version and schema here.\n{schema}");
    }

    [Fact]
    public void Every_string_member_is_read_by_the_bounded_string_reader()
    {
        var unmarked = ActorCompileSerializer.MessageTypes
            .SelectMany(t => t.GetProperties(BindingFlags.Public | BindingFlags.Instance).Select(p => (Type: t, Property: p)))
            .Where(m => m.Property.PropertyType == typeof(string) && m.Property.GetCustomAttribute<MemoryPackIgnoreAttribute>() is null
                && m.Property.GetCustomAttribute<WireStringAttribute>() is null)
            .Select(m => $"{m.Type.Name}.{m.Property.Name}")
            .ToList();
        Assert.True(unmarked.Count == 0, "mark these [property: WireString]: " + string.Join(", ", unmarked));
    }

    /// <summary>Each message type's serialized members in the order they are written, with their types.</summary>
    internal static string Schema()
    {
        var text = new StringBuilder();
        foreach (var type in ActorCompileSerializer.MessageTypes)
        {
            text.Append(type.Name).Append('(');
            var members = type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
                .Where(p => p.Name != "EqualityContract" && p.GetCustomAttribute<MemoryPackIgnoreAttribute>() is null)
                .OrderBy(p => p.MetadataToken);
            text.AppendJoin(", ", members.Select(p => $"{Name(p.PropertyType)} {p.Name}"));
            text.Append(")\n");
        }
        // The two records written by hand (ToolchainFormatters): their members as those formatters write them.
        foreach (var type in new[] { typeof(MirrorEntry), typeof(ActorCompile.Toolchain.Identity.ToolchainFile) })
            text.Append(type.Name).Append('(')
                .AppendJoin(", ", type.GetConstructors().Single().GetParameters().Select(p => $"{Name(p.ParameterType)} {p.Name}"))
                .Append(")\n");
        return text.ToString();
    }

    private static string Name(Type type) =>
        type.IsArray ? Name(type.GetElementType()!) + "[]"
        : Nullable.GetUnderlyingType(type) is { } inner ? Name(inner) + "?"
        : type.IsEnum ? $"{type.Name}:{string.Join('|', Enum.GetValues(type).Cast<object>().Select(v => $"{v}={Convert.ToInt64(v)}"))}"
        : type.Name;
}
