using Plotly.Blazor;
using Plotly.Blazor.LayoutLib;

namespace WebUI.Components.Training;

/// <summary>The Training tab's Plotly look: transparent backgrounds and grey text, readable on the light and the dark theme.</summary>
public static class ChartStyle
{
    public static Config Config { get; } = new() { Responsive = true, DisplayModeBar = Plotly.Blazor.ConfigLib.DisplayModeBarEnum.False };

    public static Plotly.Blazor.Layout Layout(string xTitle, string yTitle, bool legend = true) => new()
    {
        PaperBgColor = "rgba(0,0,0,0)",
        PlotBgColor = "rgba(0,0,0,0)",
        Font = new Font { Color = "#8a8f98", Size = 11 },
        Margin = new Margin { L = 48, R = 12, T = 8, B = 40 },
        XAxis = [new XAxis { Title = new Plotly.Blazor.LayoutLib.XAxisLib.Title { Text = xTitle }, GridColor = "rgba(128,128,128,0.2)" }],
        YAxis = [new YAxis { Title = new Plotly.Blazor.LayoutLib.YAxisLib.Title { Text = yTitle }, GridColor = "rgba(128,128,128,0.2)" }],
        ShowLegend = legend,
        Legend = [new Legend { Orientation = Plotly.Blazor.LayoutLib.LegendLib.OrientationEnum.H, Y = 1.15m }],
    };
}
