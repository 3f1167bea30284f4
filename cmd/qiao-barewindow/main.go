// Command qiao-barewindow is the yardstick for `qiao bench startup`: a bare
// Fyne window, linked with the same libraries as Qiao, that reports ready
// the same way Qiao does.
package main

import (
	"fmt"
	"os"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/widget"
	_ "modernc.org/sqlite" // linked like Qiao's, so both binaries carry the same code
)

func main() {
	a := app.New()
	w := a.NewWindow("bare")
	w.SetContent(widget.NewLabel("Hello"))
	w.Resize(fyne.NewSize(1100, 700))
	// Same protocol as qiao/ui.ReadyEnv and ReadyLine.
	if os.Getenv("QIAO_REPORT_READY") != "" {
		a.Lifecycle().SetOnStarted(func() {
			go func() {
				time.Sleep(50 * time.Millisecond)
				fyne.DoAndWait(func() {})
				fmt.Println("QIAO_READY")
			}()
		})
	}
	w.ShowAndRun()
}
