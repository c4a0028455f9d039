using MemoryPack;

namespace ActorCompile.Protocol.Serialization;

/// <summary>
/// What every message checks as it arrives (its <c>[MemoryPackOnDeserialized]</c> method): the members it
/// declares non-nullable are present, and no array of them holds a null. A member that sends a message
/// with a member missing (a null, or an object header naming fewer members than the type has, which
/// MemoryPack fills with defaults) gets it refused at the transport, so that no actor, a role actor whose
/// exception would stop the node least of all, ever meets the null. WireSchemaTests checks that every
/// non-nullable member of every message is checked.
/// </summary>
public static class WireCheck
{
    public static void Present(string type, params object?[] members)
    {
        for (int i = 0; i < members.Length; i++)
        {
            switch (members[i])
            {
                case null:
                    throw new MemoryPackSerializationException($"a {type} arrived without its member number {i + 1} of those it must have");
                case object?[] items:   // string arrays and record arrays (arrays are covariant); byte[] is not one
                    foreach (var item in items)
                        if (item is null) throw new MemoryPackSerializationException($"a {type} arrived with a null in its member number {i + 1}");
                    break;
            }
        }
    }

    /// <summary>An array that may be absent holds no null when it is there.</summary>
    public static void NoNullItems(string type, params object?[]?[] arrays)
    {
        foreach (var items in arrays)
            if (items is not null)
                foreach (var item in items)
                    if (item is null) throw new MemoryPackSerializationException($"a {type} arrived with a null in an array");
    }

    /// <summary>
    /// Yes-or-no members hold 0 or 1. The reader takes the byte as it came, and a bool holding 2 is true to `if` and
    /// false to `== true`: two parts of the node would read one message two ways.
    /// </summary>
    public static void Booleans(string type, params bool[] values)
    {
        for (int i = 0; i < values.Length; i++)
        {
            var raw = System.Runtime.CompilerServices.Unsafe.As<bool, byte>(ref values[i]);
            if (raw > 1) throw new MemoryPackSerializationException($"a {type} arrived with {raw} in a yes-or-no member");
        }
    }

    public static void Finite(string type, params double[] values)
    {
        for (int i = 0; i < values.Length; i++)
            if (!double.IsFinite(values[i])) throw new MemoryPackSerializationException($"a {type} arrived with {values[i]} in a number that must be finite");
    }
}
