namespace ActorCompile.Protocol.Messages;

/// <summary>
/// Every message that crosses between nodes implements this marker. The HOCON binds it to
/// <see cref="Serialization.ActorCompileSerializer"/>, which writes and reads exactly the records of this
/// namespace that implement it (and the two Toolchain records they carry, by formatters of their own), and
/// strict serialization refuses every unbound type.
/// </summary>
public interface IClusterMessage;
