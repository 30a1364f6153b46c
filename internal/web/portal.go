package web

import "net/http"

// portalRoutes mounts the sender portal under /portal.
func (w *Web) portalRoutes(mux *http.ServeMux) {}
