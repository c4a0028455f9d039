using System.Buffers;
using System.Runtime.CompilerServices;
using Akka.Actor;
using ActorCompile.Toolchain.Identity;
using ActorCompile.Toolchain.Jobs;
using MemoryPack;
using MemoryPack.Formatters;

namespace ActorCompile.Protocol.Serialization;

/// <summary>
/// An actor reference travels as its full path with address (as Akka's own serializers write it) and is
/// resolved by the receiving node's actor system, which the serializer passes in its options.
/// </summary>
internal sealed class ActorRefFormatter : MemoryPackFormatter<IActorRef>
{
    public static void Register()
    {
        if (!MemoryPackFormatterProvider.IsRegistered<IActorRef>()) MemoryPackFormatterProvider.Register(new ActorRefFormatter());
    }

    public override void Serialize<TBufferWriter>(ref MemoryPackWriter<TBufferWriter> writer, scoped ref IActorRef? value) =>
        writer.WriteString(value is null ? null : Akka.Serialization.Serialization.SerializedActorPath(value));

    public override void Deserialize(ref MemoryPackReader reader, scoped ref IActorRef? value)
    {
        var path = WireStringFormatter.Read(ref reader);
        if (path is null) { value = null; return; }
        var system = reader.Options.ServiceProvider?.GetService(typeof(ExtendedActorSystem)) as ExtendedActorSystem
            ?? throw new MemoryPackSerializationException("an actor reference can only be read by ActorCompileSerializer");
        value = system.Provider.ResolveActorRef(path);
    }
}

/// <summary>
/// Toolchain's records that cluster messages carry (a job's mirror entries, a shipped toolchain's files),
/// written by hand so that Toolchain (which the Native AOT wrapper uses) needs no serializer of its own.
/// A kind outside its enum is refused.
/// </summary>
internal static class ToolchainFormatters
{
    public static void Register()
    {
        if (!MemoryPackFormatterProvider.IsRegistered<MirrorEntry>()) MemoryPackFormatterProvider.Register(new MirrorEntryFormatter());
        if (!MemoryPackFormatterProvider.IsRegistered<ToolchainFile>()) MemoryPackFormatterProvider.Register(new ToolchainFileFormatter());
        if (!MemoryPackFormatterProvider.IsRegistered<MirrorEntry[]>()) MemoryPackFormatterProvider.Register(new ArrayFormatter<MirrorEntry>());
        if (!MemoryPackFormatterProvider.IsRegistered<ToolchainFile[]>()) MemoryPackFormatterProvider.Register(new ArrayFormatter<ToolchainFile>());
    }

    /// <summary>A byte-sized kind, refused unless its enum names it (without reflection or boxing: a job carries hundreds of entries).</summary>
    private static T Kind<T>(byte value) where T : struct, Enum =>
        Unsafe.BitCast<byte, T>(value) is var kind && Enum.IsDefined(kind) ? kind : throw new MemoryPackSerializationException($"{typeof(T).Name} {value} is not a known kind");

    private sealed class MirrorEntryFormatter : MemoryPackFormatter<MirrorEntry>
    {
        public override void Serialize<TBufferWriter>(ref MemoryPackWriter<TBufferWriter> writer, scoped ref MirrorEntry? value)
        {
            if (value is null) { writer.WriteNullObjectHeader(); return; }
            writer.WriteObjectHeader(5);
            writer.WriteUnmanaged((byte)value.Kind);
            writer.WriteString(value.Path);
            writer.WriteString(value.Hash);
            writer.WriteUnmanaged(value.Size, value.ModifiedUnixMilliseconds);
        }

        public override void Deserialize(ref MemoryPackReader reader, scoped ref MirrorEntry? value)
        {
            if (!reader.TryReadObjectHeader(out var count)) { value = null; return; }
            if (count != 5) throw new MemoryPackSerializationException($"a mirror entry has 5 members, not {count}");
            var kind = Kind<MirrorEntryKind>(reader.ReadUnmanaged<byte>());
            var path = WireStringFormatter.Read(ref reader) ?? throw new MemoryPackSerializationException("a mirror entry has no path");
            var hash = WireStringFormatter.Read(ref reader);
            reader.ReadUnmanaged(out long size, out long modified);
            value = new MirrorEntry(kind, path, hash, size, modified);
        }
    }

    private sealed class ToolchainFileFormatter : MemoryPackFormatter<ToolchainFile>
    {
        public override void Serialize<TBufferWriter>(ref MemoryPackWriter<TBufferWriter> writer, scoped ref ToolchainFile? value)
        {
            if (value is null) { writer.WriteNullObjectHeader(); return; }
            writer.WriteObjectHeader(6);
            writer.WriteUnmanaged((byte)value.Kind);
            writer.WriteString(value.Path);
            writer.WriteString(value.Hash);
            writer.WriteUnmanaged(value.Size, value.Executable);
            writer.WriteString(value.LinkTarget);
        }

        public override void Deserialize(ref MemoryPackReader reader, scoped ref ToolchainFile? value)
        {
            if (!reader.TryReadObjectHeader(out var count)) { value = null; return; }
            if (count != 6) throw new MemoryPackSerializationException($"a toolchain file has 6 members, not {count}");
            var kind = Kind<ToolchainFileKind>(reader.ReadUnmanaged<byte>());
            var path = WireStringFormatter.Read(ref reader) ?? throw new MemoryPackSerializationException("a toolchain file has no path");
            var hash = WireStringFormatter.Read(ref reader);
            reader.ReadUnmanaged(out long size, out bool executable);
            value = new ToolchainFile(kind, path, hash, size, executable, WireStringFormatter.Read(ref reader));
        }
    }
}
