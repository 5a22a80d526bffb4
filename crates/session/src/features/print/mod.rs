//! Remote print (`print`, `latchkey_core::feature::print`): the host's
//! printers (`printers`: CUPS queues, the print socket the backend hands
//! jobs to, the record of queues added), the host half that offers one for
//! its session and sends its jobs to the viewer, and the viewer's handle
//! that receives them as PDFs.

pub mod host;
pub mod printers;
pub mod viewer;
