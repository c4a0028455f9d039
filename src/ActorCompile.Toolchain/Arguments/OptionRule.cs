namespace ActorCompile.Toolchain.Arguments;

/// <summary>How an option takes its value.</summary>
public enum OptionArity
{
    /// <summary>Exactly this spelling, no value (<c>-c</c>).</summary>
    None,
    /// <summary>The value is attached to the spelling (<c>-fprofile-generate=dir</c>); the spelling is a prefix.</summary>
    Joined,
    /// <summary>The value is the next argument (<c>-Xclang arg</c>).</summary>
    Separate,
    /// <summary>Either attached or the next argument (<c>-Idir</c> or <c>-I dir</c>).</summary>
    JoinedOrSeparate,
}

/// <summary>What an option means for distributing the compile.</summary>
public enum OptionRole
{
    /// <summary>Goes to the worker unchanged.</summary>
    PassThrough,
    /// <summary>The command runs locally; <see cref="OptionRule.Reason"/> says why.</summary>
    Local,
    /// <summary><c>-c</c>: produce an object.</summary>
    CompileToObject,
    /// <summary><c>-S</c>: produce assembly.</summary>
    CompileToAssembly,
    /// <summary><c>-o</c>: the output file.</summary>
    Output,
    /// <summary><c>-x</c>: the language of the inputs that follow.</summary>
    Language,
    /// <summary><c>-I -iquote -isystem -idirafter</c>: a directory searched for headers.</summary>
    IncludeDirectory,
    /// <summary><c>-include -imacros</c>: a file read before the source.</summary>
    IncludeFile,
    /// <summary><c>-MD -MMD</c>: write a dependency file as a side effect.</summary>
    DependencyOutput,
    /// <summary><c>-MP</c>: phony targets in the dependency file.</summary>
    DependencyPhony,
    /// <summary><c>-MF</c>: the dependency file's name.</summary>
    DependencyFile,
    /// <summary><c>-MT -MQ</c>: the dependency file's target.</summary>
    DependencyTarget,
    /// <summary><c>-ffile-prefix-map=OLD=NEW</c> and friends: OLD is a path.</summary>
    PrefixMap,
    /// <summary><c>-Wp,...</c>: options for the preprocessor; only some forms are understood.</summary>
    PreprocessorOptions,
}

/// <summary>
/// One row of the option table. <see cref="Check"/>, when present, looks at the option's value and
/// returns a reason to keep the command local (or null): it is for options whose safety depends on
/// their value, such as <c>-march=native</c> or <c>-Wa,-a=listing</c>.
/// </summary>
public sealed record OptionRule(
    string Spelling,
    OptionArity Arity,
    OptionRole Role,
    string? Reason = null,
    Func<string, string?>? Check = null)
{
    public bool TakesValue => Arity != OptionArity.None;
}
