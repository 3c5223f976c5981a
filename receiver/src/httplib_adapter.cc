#include "hookline/receiver/httplib_adapter.h"

#include <httplib.h>

#include <utility>

namespace hookline::receiver {

void MountReceiver(httplib::Server& server, const std::string& path,
                   std::shared_ptr<Receiver> receiver) {
  server.Post(
      path, [receiver = std::move(receiver)](const httplib::Request& req, httplib::Response& res) {
        Headers headers;
        headers.Reserve(req.headers.size());
        for (const auto& [name, value] : req.headers) headers.Add(name, value);
        Response response = receiver->Handle(headers, req.body);
        res.status = response.status;
        res.set_content(response.body, "application/json");
      });
}

}  // namespace hookline::receiver
