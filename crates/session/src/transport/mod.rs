//! How bytes move between a viewer and a host: the rendezvous signaling
//! client and the WebRTC peer connection with its data channels.

pub mod peer;
pub mod signaling;
pub mod turn;
