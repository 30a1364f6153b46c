package web

import "net/http"

// adminRoutes mounts the central administration under /admin.
func (w *Web) adminRoutes(mux *http.ServeMux) {}
