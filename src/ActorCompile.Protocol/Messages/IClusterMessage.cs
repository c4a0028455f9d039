namespace ActorCompile.Protocol.Messages;

/// <summary>
/// Every message that crosses between nodes implements this marker. The HOCON binds it to
/// <see cref="Serialization.ActorCompileSerializer"/>, whose allow list holds exactly the types of this
/// namespace and the few parts from elsewhere that they carry (named one by one there), and strict
/// serialization refuses every unbound type.
/// </summary>
public interface IClusterMessage;
