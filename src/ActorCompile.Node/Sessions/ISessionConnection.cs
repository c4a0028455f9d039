using Akka.Actor;
using ActorCompile.LocalProtocol;

namespace ActorCompile.Node.Sessions;

/// <summary>The socket behind a wrapper session: the session sends frames through it and closes it.</summary>
public interface ISessionConnection
{
    void Send(LocalMessage message);
    void Close();
}

/// <summary>A frame from the wrapper, decoded.</summary>
public sealed record FrameReceived(LocalMessage Message) : INoSerializationVerificationNeeded;

/// <summary>The wrapper closed the connection (or it broke).</summary>
public sealed class ConnectionClosed : INoSerializationVerificationNeeded { public static readonly ConnectionClosed Instance = new(); }
