namespace WebUI.Engine.Training;

/// <summary>Turns one row of a .json/.jsonl dataset into its training example (or a drop) in the collector.</summary>
internal interface IRowEncoder
{
    void Add(DatasetRow row, ExampleCollector collector);
}
