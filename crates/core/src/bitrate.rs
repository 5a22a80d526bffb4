//! Loss-based send-bitrate control for the video track (pure: time comes in as
//! milliseconds). The receiver's RTCP reports say what fraction of packets was
//! lost; like the loss-based half of Google Congestion Control, heavy loss
//! (> 10%) cuts the rate in proportion to the loss, light loss (< 2%) lets it
//! grow by 8% at most once a second, and in between it holds. A REMB from the
//! receiver caps it.

/// The controller.
#[derive(Debug, Clone)]
pub struct BitrateController {
    min_kbps: u32,
    max_kbps: u32,
    current_kbps: u32,
    cap_kbps: u32,
    last_increase_ms: Option<u64>,
}

impl BitrateController {
    /// Start at `start_kbps`, never leaving `min_kbps..=max_kbps`.
    pub fn new(start_kbps: u32, min_kbps: u32, max_kbps: u32) -> Self {
        let (min_kbps, max_kbps) = (min_kbps.min(max_kbps), max_kbps.max(min_kbps));
        BitrateController {
            min_kbps,
            max_kbps,
            current_kbps: start_kbps.clamp(min_kbps, max_kbps),
            cap_kbps: max_kbps,
            last_increase_ms: None,
        }
    }

    /// The rate in force.
    pub fn kbps(&self) -> u32 {
        self.current_kbps
    }

    /// A receiver report: `fraction_lost` is RTCP's 8-bit fraction (0..=255 of 256).
    /// Returns the new rate when it changed.
    pub fn on_loss_report(&mut self, fraction_lost: u8, now_ms: u64) -> Option<u32> {
        let loss = f64::from(fraction_lost) / 256.0;
        let before = self.current_kbps;
        if loss > 0.10 {
            let next = f64::from(self.current_kbps) * (1.0 - 0.5 * loss);
            self.current_kbps = (next as u32).max(self.min_kbps);
        } else if loss < 0.02 {
            let due = self
                .last_increase_ms
                .is_none_or(|t| now_ms.saturating_sub(t) >= 1000);
            if due {
                let next = (f64::from(self.current_kbps) * 1.08).ceil() as u32;
                self.current_kbps = next.min(self.max_kbps).min(self.cap_kbps);
                self.last_increase_ms = Some(now_ms);
            }
        }
        (self.current_kbps != before).then_some(self.current_kbps)
    }

    /// A REMB (the receiver's estimate of what it can take), in bits per second.
    pub fn on_remb(&mut self, bps: u64) -> Option<u32> {
        let cap = u32::try_from(bps / 1000)
            .unwrap_or(u32::MAX)
            .clamp(self.min_kbps, self.max_kbps);
        self.cap_kbps = cap;
        let before = self.current_kbps;
        self.current_kbps = self.current_kbps.min(cap);
        (self.current_kbps != before).then_some(self.current_kbps)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heavy_loss_cuts_light_loss_grows_slowly() {
        let mut c = BitrateController::new(2500, 150, 8000);
        // 25% loss: cut by 12.5%.
        assert_eq!(c.on_loss_report(64, 0), Some(2187));
        // 5% loss: hold.
        assert_eq!(c.on_loss_report(13, 100), None);
        // No loss: +8%, then not again within the same second.
        assert_eq!(c.on_loss_report(0, 200), Some(2362));
        assert_eq!(c.on_loss_report(0, 700), None);
        assert_eq!(c.on_loss_report(0, 1200), Some(2551));
    }

    #[test]
    fn bounds_and_remb_cap() {
        let mut c = BitrateController::new(200, 150, 300);
        for i in 0..20 {
            c.on_loss_report(255, i);
        }
        assert_eq!(c.kbps(), 150);
        for i in 0..20 {
            c.on_loss_report(0, i * 1000);
        }
        assert_eq!(c.kbps(), 300);
        assert_eq!(c.on_remb(180_000), Some(180));
        c.on_loss_report(0, 100_000);
        assert_eq!(c.kbps(), 180, "growth stays under the receiver's estimate");
        assert_eq!(BitrateController::new(10, 150, 300).kbps(), 150);
    }
}
