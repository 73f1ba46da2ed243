using System.Globalization;
using WebUI.Engine.Adapters;

namespace WebUI.Engine.Studio;

/// <summary>
/// The model ids the API and <see cref="StudioChatClient"/> accept: the loaded base model's name (the default
/// adapters), an adapter's folder name in loras/, or a mix "a+b" / "a:0.7+b:0.3" (weight 1 when left off).
/// </summary>
public static class ModelId
{
    /// <summary>
    /// Null for the base model (callers use the default adapters), else the adapters named. A whole id that
    /// <paramref name="isAdapter"/> knows is one adapter, so names containing '+' still work alone.
    /// ArgumentException for a malformed id (path characters, a bad weight, an empty part).
    /// </summary>
    public static IReadOnlyList<AdapterWeight>? Parse(string id, string baseId, Func<string, bool>? isAdapter = null)
    {
        if (string.IsNullOrWhiteSpace(id)) throw new ArgumentException("the model id is empty");
        if (id == baseId) return null;
        if (isAdapter?.Invoke(id) == true && StudioPaths.IsPlainName(id)) return [new AdapterWeight(id, 1)];
        return ParseWeighted(id, '+', $"model '{id}'");
    }

    /// <summary>
    /// "name[:weight]" parts joined by <paramref name="separator"/> (weight 1 when left off), the one syntax of API
    /// model ids and the command line's --lora; ArgumentException starting with <paramref name="what"/> for a bad
    /// weight, an invalid name or a name given twice. With <paramref name="allowPaths"/>, an existing folder is a name too.
    /// </summary>
    public static IReadOnlyList<AdapterWeight> ParseWeighted(string spec, char separator, string what, bool allowPaths = false)
    {
        var adapters = new List<AdapterWeight>();
        foreach (var part in spec.Split(separator, StringSplitOptions.TrimEntries))
        {
            var colon = part.LastIndexOf(':');
            var name = colon < 0 ? part : part[..colon];
            double weight = 1;
            if (colon >= 0 && !(double.TryParse(part[(colon + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out weight) && double.IsFinite(weight)))
                throw new ArgumentException($"{what}: '{part[(colon + 1)..]}' is not a weight (write name:0.5)");
            if (!StudioPaths.IsPlainName(name) && !(allowPaths && Directory.Exists(name)))
                throw new ArgumentException($"{what}: '{name}' is not a valid adapter name (letters, digits, spaces, '.', '-' or '_', no path separators)");
            if (adapters.Any(a => a.Name == name)) throw new ArgumentException($"{what} names adapter '{name}' twice");
            adapters.Add(new AdapterWeight(name, weight));
        }
        return adapters;
    }
}
