using ActorCompile.Toolchain.Arguments;

namespace ActorCompile.Toolchain.Scanning;

/// <summary>
/// What of the language's lexing decides where a directive is: raw string literals (gcc has them in the GNU
/// C dialects from gnu99 and in C++11 on), digit separators (C++14 on) and trigraphs (the ISO dialects
/// before C++17, and -trigraphs). Checked against gcc 12: <c>R"x(" /*)x"</c> hides a following line
/// from a comment exactly in the dialects marked here.
/// </summary>
public readonly record struct ScanDialect(bool RawStrings, bool DigitSeparators, bool Trigraphs)
{
    /// <summary>gcc 12's defaults: gnu17 for C, gnu++17 for C++.</summary>
    public static ScanDialect For(CompileCommand command)
    {
        bool cxx = command.Language is SourceLanguage.CPlusPlus or SourceLanguage.ObjectiveCPlusPlus;
        string? standard = null;
        bool trigraphs = false;
        foreach (var p in command.Parsed)
        {
            if (p.Rule?.Spelling == "-std=" && p.Value is { } v) standard = v;
            else if (p.Token == "-ansi") standard = cxx ? "c++98" : "c90";
            else if (p.Token == "-trigraphs") trigraphs = true;
        }
        standard ??= cxx ? "gnu++17" : "gnu17";
        bool gnu = standard.StartsWith("gnu", StringComparison.Ordinal);
        if (cxx)
        {
            int year = CxxYear(standard);
            return new ScanDialect(RawStrings: year >= 11, DigitSeparators: year >= 14, Trigraphs: trigraphs || (!gnu && year < 17));
        }
        int cYear = CYear(standard);
        return new ScanDialect(RawStrings: gnu && cYear >= 99, DigitSeparators: cYear >= 23, Trigraphs: trigraphs || !gnu);
    }

    /// <summary>c++98/03 -> 98 (before 11), c++0x/11 -> 11, 1y/14 -> 14, 1z/17 -> 17, 2a/20 -> 20, 2b/23 -> 23, 2c/26 -> 26.</summary>
    private static int CxxYear(string standard)
    {
        var tail = standard[(standard.IndexOf("++", StringComparison.Ordinal) + 2)..];
        return tail switch
        {
            "98" or "03" => 3,
            "0x" or "11" => 11,
            "1y" or "14" => 14,
            "1z" or "17" => 17,
            "2a" or "20" => 20,
            "2b" or "23" => 23,
            "2c" or "26" => 26,
            _ => 17,
        };
    }

    /// <summary>c89/c90/iso9899:1990/199409 -> 89, c99/c9x -> 99, c11/c1x -> 11, c17/c18 -> 17, c2x/c23 -> 23.</summary>
    private static int CYear(string standard)
    {
        var tail = standard.StartsWith("iso9899:", StringComparison.Ordinal) ? standard[8..] : standard.StartsWith("gnu", StringComparison.Ordinal) ? standard[3..] : standard[1..];
        return tail switch
        {
            "89" or "90" or "1990" or "199409" => 89,
            "99" or "9x" or "1999" or "199x" => 99,
            "11" or "1x" or "2011" => 11,
            "17" or "18" or "2017" or "2018" => 17,
            "2x" or "23" or "2023" => 23,
            _ => 17,
        };
    }
}
