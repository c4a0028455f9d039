using System.Text;

namespace ActorCompile.Protocol.Cluster;

/// <summary>What one frame of Akka.Remote's classic protocol says about who sent it.</summary>
public enum FrameKind
{
    /// <summary>A message (an envelope): <see cref="AkkaFrame.Sender"/> is its sender's path, or null for none.</summary>
    Message,
    /// <summary>The handshake: <see cref="AkkaFrame.OriginHost"/> and <see cref="AkkaFrame.OriginPort"/> are the address the peer declares.</summary>
    Associate,
    /// <summary>Another control frame (heartbeat, disassociate): names no one.</summary>
    Control,
    /// <summary>Not what Akka writes (a field twice, a group, a length past the end): nothing in it can be trusted.</summary>
    Unreadable,
}

public readonly record struct AkkaFrame(FrameKind Kind, string? Sender = null, string? OriginSystem = null, string? OriginHost = null, int OriginPort = 0);

/// <summary>
/// Reads the few fields of an Akka.Remote 1.5 frame that say who sent it, by walking the protocol buffers
/// wire format in place (a frame may carry a job of 100 MiB: nothing is copied but the names). The layout is
/// Akka.Remote's WireFormats.proto and ContainerFormats.proto:
/// <c>AkkaProtocolMessage { bytes payload = 1; AkkaControlMessage instruction = 2; }</c>,
/// <c>AkkaControlMessage { CommandType commandType = 1; AkkaHandshakeInfo handshakeInfo = 2; }</c> (ASSOCIATE = 1),
/// <c>AkkaHandshakeInfo { AddressData origin = 1; ... }</c>, <c>AddressData { string system = 1; string hostname = 2; uint32 port = 3; ... }</c>,
/// and in a payload <c>AckAndEnvelopeContainer { AcknowledgementInfo ack = 1; RemoteEnvelope envelope = 2; }</c>,
/// <c>RemoteEnvelope { ActorRefData recipient = 1; Payload message = 2; ActorRefData sender = 4; fixed64 seq = 5; }</c>,
/// <c>ActorRefData { string path = 1; }</c>.
/// A field that protocol buffers would merge or overwrite when it comes twice makes the frame unreadable here:
/// Akka never writes one twice, and reading it the way a parser would is how a forged sender would hide.
/// Pinned against frames of a real node by the tests (AkkaFramesTests), so an Akka release that changes the
/// layout fails there, not in the field.
/// </summary>
public static class AkkaFrames
{
    private const int Varint = 0, Fixed64 = 1, Length = 2, Fixed32 = 5;
    private const ulong MaximumFieldNumber = (1 << 29) - 1;

    public static AkkaFrame Read(ReadOnlySpan<byte> frame)
    {
        ReadOnlySpan<byte> payload = default, instruction = default;
        bool hasPayload = false, hasInstruction = false;
        var r = new Reader(frame);
        while (!r.End)
        {
            if (!r.Field(out var number, out var type, out var value, out _)) return Unreadable;
            if (number == 1 && type == Length) { if (hasPayload) return Unreadable; hasPayload = true; payload = value; }
            else if (number == 2 && type == Length) { if (hasInstruction) return Unreadable; hasInstruction = true; instruction = value; }
        }
        if (hasPayload && hasInstruction) return Unreadable;
        if (hasInstruction) return Control(instruction);
        return Message(payload);
    }

    private static readonly AkkaFrame Unreadable = new(FrameKind.Unreadable);

    private static AkkaFrame Control(ReadOnlySpan<byte> instruction)
    {
        ulong command = 0;
        ReadOnlySpan<byte> handshake = default;
        bool hasCommand = false, hasHandshake = false;
        var r = new Reader(instruction);
        while (!r.End)
        {
            if (!r.Field(out var number, out var type, out var value, out var scalar)) return Unreadable;
            if (number == 1 && type == Varint) { if (hasCommand) return Unreadable; hasCommand = true; command = scalar; }
            else if (number == 2 && type == Length) { if (hasHandshake) return Unreadable; hasHandshake = true; handshake = value; }
        }
        if (command != 1) return new AkkaFrame(FrameKind.Control);
        var origin = Single(handshake, 1);
        if (origin.Failed) return Unreadable;
        string? system = null, host = null;
        ulong port = 0;
        bool hasSystem = false, hasHost = false, hasPort = false;
        r = new Reader(origin.Value);
        while (!r.End)
        {
            if (!r.Field(out var number, out var type, out var value, out var scalar)) return Unreadable;
            if (number == 1 && type == Length) { if (hasSystem || !Utf8(value, out system)) return Unreadable; hasSystem = true; }
            else if (number == 2 && type == Length) { if (hasHost || !Utf8(value, out host)) return Unreadable; hasHost = true; }
            else if (number == 3 && type == Varint) { if (hasPort) return Unreadable; hasPort = true; port = scalar; }
        }
        if (host is null || port is 0 or > 65535) return Unreadable;
        return new AkkaFrame(FrameKind.Associate, OriginSystem: system ?? "", OriginHost: host, OriginPort: (int)port);
    }

    private static AkkaFrame Message(ReadOnlySpan<byte> payload)
    {
        var envelope = Single(payload, 2);
        if (envelope.Failed) return Unreadable;
        var sender = Single(envelope.Value, 4);
        if (sender.Failed) return Unreadable;
        if (!sender.Present) return new AkkaFrame(FrameKind.Message);
        var path = Single(sender.Value, 1);
        if (path.Failed || !Utf8(path.Value, out var text)) return Unreadable;
        return new AkkaFrame(FrameKind.Message, Sender: path.Present ? text : null);
    }

    /// <summary>The one length-delimited field <paramref name="number"/> of a message (absent, or failed when it comes twice, with another wire type, or the message does not parse).</summary>
    private static Found Single(ReadOnlySpan<byte> message, int number)
    {
        var r = new Reader(message);
        var found = new Found();
        while (!r.End)
        {
            if (!r.Field(out var n, out var type, out var value, out _)) return Found.Failure;
            if (n != number) continue;
            if (type != Length || found.Present) return Found.Failure;
            found = new Found { Present = true, Value = value };
        }
        return found;
    }

    private ref struct Found
    {
        public bool Present;
        public bool Failed;
        public ReadOnlySpan<byte> Value;
        public static Found Failure => new() { Failed = true };
    }

    private static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private static bool Utf8(ReadOnlySpan<byte> bytes, out string? text)
    {
        text = null;
        if (bytes.Length > 4096) return false; // an actor's path or a host name, never a document
        try
        {
            text = Strict.GetString(bytes);
            return true;
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
    }

    /// <summary>Protocol buffers' wire format, one field at a time, over a span.</summary>
    private ref struct Reader(ReadOnlySpan<byte> data)
    {
        private readonly ReadOnlySpan<byte> _data = data;
        private int _at;

        public readonly bool End => _at >= _data.Length;

        public bool Field(out int number, out int type, out ReadOnlySpan<byte> value, out ulong scalar)
        {
            number = 0;
            value = default;
            scalar = 0;
            type = -1;
            // Google.Protobuf reads a tag, an enum and a 32-bit number as 32 bits and drops any higher ones: a tag or a
            // value past 32 bits would be one field or number to it and another here, so it makes the frame unreadable.
            if (!Varint(out var tag) || tag > uint.MaxValue || tag >> 3 is 0 or > MaximumFieldNumber) return false;
            number = (int)(tag >> 3);
            type = (int)(tag & 7);
            switch (type)
            {
                case AkkaFrames.Varint:
                    return Varint(out scalar) && scalar <= uint.MaxValue; // the ones read here (a command, a port) are 32-bit fields
                case AkkaFrames.Fixed64:
                    return Skip(8);
                case AkkaFrames.Fixed32:
                    return Skip(4);
                case AkkaFrames.Length:
                    if (!Varint(out var length) || length > (ulong)(_data.Length - _at)) return false;
                    value = _data.Slice(_at, (int)length);
                    _at += (int)length;
                    return true;
                default:
                    return false; // groups: not in Akka's messages
            }
        }

        private bool Skip(int bytes)
        {
            if (_data.Length - _at < bytes) return false;
            _at += bytes;
            return true;
        }

        private bool Varint(out ulong value)
        {
            value = 0;
            for (int shift = 0; shift < 64; shift += 7)
            {
                if (_at >= _data.Length) return false;
                byte b = _data[_at++];
                value |= (ulong)(b & 0x7F) << shift;
                if ((b & 0x80) == 0) return true;
            }
            return false;
        }
    }
}
