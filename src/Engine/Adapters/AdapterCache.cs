using WebUI.Engine.Loading;

namespace WebUI.Engine.Adapters;

/// <summary>
/// Adapters read from loras/ for one loaded model, kept between requests: an adapter is read the first time a
/// request names it, read again when its folder is rewritten (say, by retraining), and the least recently used
/// ones beyond <see cref="Capacity"/> are freed once no running sequence holds them. Worker thread only.
/// </summary>
public sealed class AdapterCache(Func<string, string> folderOf, int capacity) : IDisposable
{
    private readonly Dictionary<string, Entry> entries = [];
    private readonly List<Entry> retired = [];   // superseded or evicted, still held by a running sequence
    private long clock;

    public int Capacity { get; } = capacity >= 1 ? capacity : throw new ArgumentException($"max adapters must be at least 1 (got {capacity})");
    public int Count => entries.Count;

    /// <summary>A lease on no adapters: it holds nothing, so it may be taken and released on any thread.</summary>
    public AdapterLease NoAdapters => new(this, [], []);

    /// <summary>
    /// The adapters, read if needed and held until the lease is disposed. A missing folder is a
    /// <see cref="DirectoryNotFoundException"/>; one that does not fit the model an <see cref="ArgumentException"/>
    /// or <see cref="InvalidModelException"/> naming the mismatch.
    /// </summary>
    public AdapterLease Acquire(IReadOnlyList<AdapterWeight> wanted, LoadedModel model)
    {
        var held = new List<Entry>();
        try
        {
            foreach (var w in wanted)
            {
                if (!double.IsFinite(w.Weight)) throw new ArgumentException($"adapter '{w.Name}' weight must be a finite number (got {w.Weight})");
                var entry = Read(w.Name, model);
                entry.Users++;
                entry.LastUsed = ++clock;
                held.Add(entry);
            }
        }
        catch
        {
            foreach (var e in held) Release(e);
            throw;
        }
        EvictBeyondCapacity();
        return new AdapterLease(this, held, [.. held.Select((e, i) => (e.Adapter, wanted[i].Weight))]);
    }

    private Entry Read(string name, LoadedModel model)
    {
        var folder = folderOf(name);
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"there is no adapter '{name}' in loras/");
        var written = WrittenAt(folder);
        if (entries.TryGetValue(name, out var known))
        {
            if (known.Written == written) return known;
            Retire(known);
        }
        var entry = new Entry(LoraAdapter.Load(folder, model.Model), written);
        entries[name] = entry;
        return entry;
    }

    // A retrained adapter is a new folder renamed into place; one rewritten in place (by Python, say) has new files.
    private static DateTime WrittenAt(string folder) =>
        Directory.EnumerateFiles(folder).Select(File.GetLastWriteTimeUtc).Append(Directory.GetLastWriteTimeUtc(folder)).Max();

    private void EvictBeyondCapacity()
    {
        foreach (var (name, entry) in entries.Where(e => e.Value.Users == 0).OrderBy(e => e.Value.LastUsed).ToList())
        {
            if (entries.Count <= Capacity) break;
            entries.Remove(name);
            entry.Adapter.Dispose();
        }
    }

    private void Retire(Entry entry)
    {
        entries.Remove(entry.Adapter.Name);
        if (entry.Users == 0) entry.Adapter.Dispose();
        else retired.Add(entry);
    }

    internal void Release(Entry entry)
    {
        entry.Users--;
        if (entry.Users == 0 && retired.Remove(entry)) entry.Adapter.Dispose();
        else if (entry.Users == 0) EvictBeyondCapacity();
    }

    public void Dispose()
    {
        foreach (var entry in entries.Values.Concat(retired)) entry.Adapter.Dispose();
        entries.Clear();
        retired.Clear();
    }

    internal sealed class Entry(LoraAdapter adapter, DateTime written)
    {
        public LoraAdapter Adapter { get; } = adapter;
        public DateTime Written { get; } = written;
        public int Users { get; set; }
        public long LastUsed { get; set; }
    }
}

/// <summary>Adapters held for one sequence; disposing (on the worker thread) lets the cache free or reload them.</summary>
public sealed class AdapterLease : IDisposable
{
    private readonly AdapterCache cache;
    private IReadOnlyList<AdapterCache.Entry>? held;

    internal AdapterLease(AdapterCache cache, IReadOnlyList<AdapterCache.Entry> held, IReadOnlyList<(LoraAdapter Adapter, double Weight)> adapters)
    {
        this.cache = cache;
        this.held = held;
        Adapters = adapters;
    }

    public IReadOnlyList<(LoraAdapter Adapter, double Weight)> Adapters { get; }

    public void Dispose()
    {
        foreach (var entry in held ?? []) cache.Release(entry);
        held = null;
    }
}
